import type { Database } from 'better-sqlite3'
import type { AuditRecord, MemberRecord, RoomBar, RoomRecord } from '../records.ts'
import type { RoomStore } from '../store.ts'
import { auditWriter } from './audit.ts'

interface RoomRow {
  id: string
  name: string
  description: string
  creator: string
  max_members: number
  member_count: number
  created_at: number
  kind: 'room' | 'dm'
  dm_pair: string | null
}

interface MemberRow {
  room_id: string
  user_id: string
  ticket: number
  joined_at: number
}

const toRoom = (r: RoomRow): RoomRecord => ({
  id: r.id,
  name: r.name,
  description: r.description,
  creator: JSON.parse(r.creator),
  maxMembers: r.max_members,
  memberCount: r.member_count,
  createdAt: new Date(r.created_at),
  kind: r.kind,
  dm: r.dm_pair ? (r.dm_pair.split(':') as [string, string]) : null,
})

const toMember = (r: MemberRow): MemberRecord => ({
  roomId: r.room_id,
  userId: r.user_id,
  ticket: r.ticket,
  joinedAt: new Date(r.joined_at),
})

export function sqliteRooms(db: Database): RoomStore {
  const insertRoom = db.prepare(
    `INSERT INTO rooms (id, name, name_lower, description, creator, max_members, member_count, created_at, kind, dm_pair)
     VALUES (@id, @name, js_lower(@name), @description, @creator, @maxMembers, 1, @createdAt, @kind, @dmPair)`,
  )
  const insertMember = db.prepare(
    `INSERT INTO members (room_id, user_id, ticket, joined_at)
     VALUES (?, ?, (SELECT coalesce(max(ticket), 0) + 1 FROM members WHERE room_id = ?), ?)`,
  )
  const byId = db.prepare<[string], RoomRow>('SELECT * FROM rooms WHERE id = ?')
  const member = db.prepare<[string, string], { n: number }>(
    'SELECT 1 AS n FROM members WHERE room_id = ? AND user_id = ?',
  )
  const recountStmt = db.prepare(
    'UPDATE rooms SET member_count = (SELECT count(*) FROM members WHERE room_id = @room) WHERE id = @room',
  )
  const recount = { run: (room: string) => recountStmt.run({ room }) }
  const removeMember = db.prepare('DELETE FROM members WHERE room_id = ? AND user_id = ?')
  const roomsOf = db.prepare<[string], { room_id: string }>(
    'SELECT room_id FROM members WHERE user_id = ? ORDER BY ticket',
  )
  const membersPage = db.prepare<[string, number, number], MemberRow>(
    'SELECT * FROM members WHERE room_id = ? AND ticket > ? ORDER BY ticket LIMIT ?',
  )

  const create = db.transaction((room: RoomRecord) => {
    insertRoom.run({
      ...room,
      creator: JSON.stringify(room.creator),
      createdAt: room.createdAt.getTime(),
      kind: room.kind ?? 'room',
      dmPair: room.dm ? room.dm.join(':') : null,
    })
    insertMember.run(room.id, room.creator.id, room.id, room.createdAt.getTime())
  })
  const dmByPair = db.prepare<[string], RoomRow>('SELECT * FROM rooms WHERE dm_pair = ?')
  const openDm = db.transaction((room: RoomRecord & { dm: [string, string] }) => {
    const found = dmByPair.get(room.dm.join(':'))
    if (found) return toRoom(found)
    create(room)
    const other = room.dm[0] === room.creator.id ? room.dm[1] : room.dm[0]
    insertMember.run(room.id, other, room.id, room.createdAt.getTime())
    recount.run(room.id)
    return toRoom(byId.get(room.id)!)
  })
  const muteStmt = db.prepare(
    `INSERT INTO mutes (room_id, user_id, until) VALUES (?, ?, ?)
     ON CONFLICT (room_id, user_id) DO UPDATE SET until = excluded.until`,
  )
  const unmute = db.prepare('DELETE FROM mutes WHERE room_id = ? AND user_id = ?')
  const mutedUntil = db.prepare<[string, string], { until: number }>(
    'SELECT until FROM mutes WHERE room_id = ? AND user_id = ?',
  )
  const writeAudit = auditWriter(db)
  const setBar = db.prepare(
    `INSERT INTO room_bars (room_id, user_id, kind, until) VALUES (?, ?, ?, ?)
     ON CONFLICT (room_id, user_id, kind) DO UPDATE SET until = excluded.until`,
  )
  const barsOf = db.prepare<[string, string], { kind: RoomBar['kind']; until: number | null }>(
    'SELECT kind, until FROM room_bars WHERE room_id = ? AND user_id = ?',
  )
  const liftBars = db.prepare('DELETE FROM room_bars WHERE room_id = ? AND user_id = ?')
  /** The ban, else a kick's bar still running at `now`. */
  const barAt = (roomId: string, userId: string, now: number): RoomBar | null => {
    const rows = barsOf.all(roomId, userId)
    const ban = rows.find((r) => r.kind === 'ban')
    if (ban) return { kind: 'ban', until: null }
    const kick = rows.find((r) => r.kind === 'kick' && r.until !== null && r.until > now)
    return kick ? { kind: 'kick', until: new Date(kick.until!) } : null
  }
  // A transaction: the capacity check and the insert happen with no other writer in between.
  const join = db.transaction((roomId: string, userId: string, at: number) => {
    const room = byId.get(roomId)
    if (!room) return 'missing' as const
    if (member.get(roomId, userId)) return 'already' as const
    if (barAt(roomId, userId, at)) return 'barred' as const
    if (room.member_count >= room.max_members) return 'full' as const
    insertMember.run(roomId, userId, roomId, at)
    recount.run(roomId)
    return 'joined' as const
  })
  const leave = db.transaction((roomId: string, userId: string) => {
    const removed = removeMember.run(roomId, userId).changes > 0
    if (removed) recount.run(roomId)
    return removed
  })
  const remove = db.transaction((id: string) => {
    db.prepare('DELETE FROM messages WHERE room_id = ?').run(id)
    db.prepare('DELETE FROM files WHERE room_id = ?').run(id)
    db.prepare('DELETE FROM members WHERE room_id = ?').run(id)
    db.prepare('DELETE FROM read_markers WHERE room_id = ?').run(id)
    db.prepare('DELETE FROM mutes WHERE room_id = ?').run(id)
    db.prepare('DELETE FROM room_bars WHERE room_id = ?').run(id)
    return db.prepare('DELETE FROM rooms WHERE id = ?').run(id).changes > 0
  })

  // A moderator's action and its audit entry in one transaction: both are stored, or neither.
  const mute = db.transaction((roomId: string, userId: string, until: Date | null, entry?: AuditRecord) => {
    if (until) muteStmt.run(roomId, userId, until.getTime())
    else unmute.run(roomId, userId)
    if (entry) writeAudit(entry)
  })
  const exclude = db.transaction(
    (roomId: string, userId: string, bar: RoomBar | null, entry: AuditRecord) => {
      if (bar) setBar.run(roomId, userId, bar.kind, bar.until?.getTime() ?? null)
      const left = leave(roomId, userId)
      writeAudit(entry)
      return left
    },
  )
  const unbar = db.transaction((roomId: string, userId: string, entry: AuditRecord) => {
    const lifted = liftBars.run(roomId, userId).changes > 0
    if (lifted) writeAudit(entry)
    return lifted
  })
  const hide = db.prepare('UPDATE members SET hidden_seq = ? WHERE room_id = ? AND user_id = ?')

  return {
    async create(room) {
      create(room)
    },
    async get(id) {
      const r = byId.get(id)
      return r ? toRoom(r) : null
    },
    async delete(id) {
      return remove(id)
    },
    async list({ q, memberOf, limit, after }) {
      const where: string[] = []
      const params: Record<string, unknown> = { limit: limit + 1 }
      if (q) {
        where.push('instr(name_lower, js_lower(@q)) > 0')
        params.q = q
      }
      if (memberOf) {
        // A hidden direct room comes back with the first message after it was hidden.
        where.push(`id IN (SELECT m.room_id FROM members m WHERE m.user_id = @memberOf AND (m.hidden_seq IS NULL
                      OR EXISTS (SELECT 1 FROM messages x WHERE x.room_id = m.room_id
                                 AND x.seq > m.hidden_seq AND x.kind != 'update')))`)
        params.memberOf = memberOf
      } else {
        // Direct rooms are listed to their two members only.
        where.push("kind = 'room'")
      }
      if (after) {
        where.push('(member_count < @count OR (member_count = @count AND id < @id))')
        params.count = after[0]
        params.id = after[1]
      }
      const sql = `SELECT * FROM rooms ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                   ORDER BY member_count DESC, id DESC LIMIT @limit`
      return db.prepare<Record<string, unknown>, RoomRow>(sql).all(params).map(toRoom)
    },
    async join(roomId, userId, at) {
      return join(roomId, userId, at.getTime())
    },
    async leave(roomId, userId) {
      return leave(roomId, userId)
    },
    async isMember(roomId, userId) {
      return member.get(roomId, userId) !== undefined
    },
    async members(roomId, limit, after) {
      return membersPage.all(roomId, Number(after?.[0] ?? 0), limit + 1).map(toMember)
    },
    async roomsOf(userId) {
      return roomsOf.all(userId).map((r) => r.room_id)
    },
    async openDm(room) {
      return openDm(room)
    },
    async mute(roomId, userId, until, entry) {
      mute(roomId, userId, until, entry)
    },
    async mutedUntil(roomId, userId) {
      const row = mutedUntil.get(roomId, userId)
      return row ? new Date(row.until) : null
    },
    async exclude(roomId, userId, bar, entry) {
      return exclude(roomId, userId, bar, entry)
    },
    async unbar(roomId, userId, entry) {
      return unbar(roomId, userId, entry)
    },
    async barOf(roomId, userId, now) {
      return barAt(roomId, userId, now.getTime())
    },
    async hide(roomId, userId, seq) {
      return hide.run(seq, roomId, userId).changes > 0
    },
    async unhide(roomId, userId) {
      hide.run(null, roomId, userId)
    },
  }
}
