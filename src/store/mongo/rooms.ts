import type { Collection, Db, Document, Filter, IndexDescription, ObjectId } from 'mongodb'
import type { AuditRecord, MemberRecord, RoomBar, RoomRecord } from '../records.ts'
import type { RoomStore } from '../store.ts'
import { appendAudit, auditOf } from './audit.ts'
import { syncCount } from './counts.ts'
import { hex, isDuplicateKey, oid, oidOrNull } from './ids.ts'

export interface RoomDoc extends Omit<RoomRecord, 'id'> {
  _id: ObjectId
  nameLower: string
}

/**
 * A membership. `_id` is `${roomId}:${ticket}`: taking the next ticket is an insert, which every
 * MongoDB-wire server makes atomic through the unique `_id`, so concurrent joins get distinct,
 * ordered tickets with no update (FerretDB 1.x updates are not atomic). A unique index on
 * (roomId, userId) makes joining idempotent.
 */
export interface MemberDoc {
  _id: string
  roomId: ObjectId
  userId: ObjectId
  ticket: number
  joinedAt: Date
  /** A direct room its member hid: the room's last seq then (see `hide`). */
  hiddenSeq?: number | null
}

/** The direct room of a pair: `_id` is the two user ids, sorted, joined by ':'. Unique, so one per pair. */
export interface DmDoc {
  _id: string
  roomId: ObjectId
}

/** A mute: `_id` is `${roomId}:${userId}`; the last writer wins, which is what a mute means. */
export interface MuteDoc {
  _id: string
  until: Date
}

/**
 * A bar: `_id` is `${roomId}:${userId}:${kind}`, one of each kind per member, the last writer
 * wins (a kick's bar replaces the last kick's). `until` null: a ban, until lifted.
 */
export interface RoomBarDoc {
  _id: string
  roomId: string
  userId: string
  kind: RoomBar['kind']
  until: Date | null
}

export const roomBarIndexes: IndexDescription[] = [{ key: { roomId: 1 }, name: 'room' }]

export const roomIndexes: IndexDescription[] = [{ key: { memberCount: -1, _id: -1 }, name: 'busiest' }]
export const memberIndexes: IndexDescription[] = [
  { key: { roomId: 1, userId: 1 }, name: 'room_user_unique', unique: true },
  { key: { roomId: 1, ticket: 1 }, name: 'room_order' },
  { key: { userId: 1, ticket: 1 }, name: 'user_rooms' },
]

const toRoom = ({ _id, nameLower: _, ...rest }: RoomDoc): RoomRecord => ({
  id: hex(_id),
  kind: 'room',
  dm: null,
  ...rest,
})
const toMember = (m: MemberDoc): MemberRecord => ({
  roomId: hex(m.roomId),
  userId: hex(m.userId),
  ticket: m.ticket,
  joinedAt: m.joinedAt,
})
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

export function mongoRooms(db: Db): RoomStore {
  const rooms = db.collection<RoomDoc>('rooms')
  const members = db.collection<MemberDoc>('members')
  const messages = db.collection('messages')
  const files = db.collection('files')
  const dms = db.collection<DmDoc>('dms')
  const mutes = db.collection<MuteDoc>('mutes')
  const reads = db.collection<{ _id: string; roomId: string }>('reads')
  const bars = db.collection<RoomBarDoc>('room_bars')
  const audit = auditOf(db)
  const messageDocs = db.collection<{ roomId: ObjectId; seq: number; kind: string }>('messages')
  const barKey = (roomId: string, userId: string, kind: RoomBar['kind']) => `${roomId}:${userId}:${kind}`
  /** The ban, else a kick's bar still running at `now`. */
  async function barAt(roomId: string, userId: string, now: Date): Promise<RoomBar | null> {
    const found = await bars
      .find({ _id: { $in: [barKey(roomId, userId, 'ban'), barKey(roomId, userId, 'kick')] } })
      .toArray()
    if (found.some((b) => b.kind === 'ban')) return { kind: 'ban', until: null }
    const kick = found.find((b) => b.kind === 'kick' && b.until !== null && b.until > now)
    return kick ? { kind: 'kick', until: kick.until } : null
  }
  const recount = (roomId: ObjectId) =>
    syncCount(rooms, roomId, 'memberCount', members as unknown as Collection<Document>, { roomId })

  const lastTicket = async (roomId: ObjectId) =>
    (
      await members
        .find({ roomId }, { projection: { ticket: 1 } })
        .sort({ ticket: -1 })
        .limit(1)
        .next()
    )?.ticket ?? 0

  /** Inserts the membership with the next free ticket; null when the user is a member already. */
  async function takeTicket(roomId: ObjectId, userId: ObjectId, at: Date): Promise<number | null> {
    let ticket = await lastTicket(roomId)
    for (;;) {
      ticket++
      try {
        await members.insertOne({ _id: `${hex(roomId)}:${ticket}`, roomId, userId, ticket, joinedAt: at })
        return ticket
      } catch (err) {
        if (!isDuplicateKey(err)) throw err
        if (await members.findOne({ roomId, userId }, { projection: { _id: 1 } })) return null
        ticket = Math.max(ticket, await lastTicket(roomId))
      }
    }
  }

  return {
    async create({ id, ...room }) {
      const _id = oid(id)
      await rooms.insertOne({ _id, nameLower: room.name.toLowerCase(), ...room, memberCount: 1 })
      await members.insertOne({
        _id: `${id}:1`,
        roomId: _id,
        userId: oid(room.creator.id),
        ticket: 1,
        joinedAt: room.createdAt,
      })
    },
    async get(id) {
      const _id = oidOrNull(id)
      const doc = _id && (await rooms.findOne({ _id }))
      return doc ? toRoom(doc) : null
    },
    async delete(id) {
      const _id = oidOrNull(id)
      if (!_id) return false
      const r = await rooms.deleteOne({ _id })
      await members.deleteMany({ roomId: _id })
      await messages.deleteMany({ roomId: _id })
      await files.deleteMany({ roomId: _id })
      await reads.deleteMany({ roomId: id })
      await mutes.deleteMany({ _id: { $regex: `^${id}:` } })
      await bars.deleteMany({ roomId: id })
      await dms.deleteMany({ roomId: _id })
      await db.collection('pins').deleteMany({ roomId: id })
      return r.deletedCount > 0
    },
    async list({ q, memberOf, limit, after }) {
      const filter: Filter<RoomDoc> = {}
      if (q) filter.nameLower = { $regex: escapeRegex(q.toLowerCase()) }
      if (memberOf) {
        const userId = oidOrNull(memberOf)
        const mine = userId
          ? await members.find({ userId }, { projection: { roomId: 1, hiddenSeq: 1 } }).toArray()
          : []
        // A hidden direct room comes back with the first message after it was hidden: one
        // look-up per hidden room (a user hides few), in parallel.
        const shown = await Promise.all(
          mine.map(
            async (m) =>
              m.hiddenSeq == null ||
              (await messageDocs.findOne(
                { roomId: m.roomId, seq: { $gt: m.hiddenSeq }, kind: { $ne: 'update' } },
                { projection: { _id: 1 } },
              )) !== null,
          ),
        )
        filter._id = { $in: mine.filter((_, i) => shown[i]).map((m) => m.roomId) }
      } else {
        // Direct rooms are listed to their two members only.
        filter.kind = { $ne: 'dm' }
      }
      if (after) {
        const [count, id] = after as [number, string]
        filter.$or = [{ memberCount: { $lt: count } }, { memberCount: count, _id: { $lt: oid(id) } }]
      }
      const docs = await rooms
        .find(filter)
        .sort({ memberCount: -1, _id: -1 })
        .limit(limit + 1)
        .toArray()
      return docs.map(toRoom)
    },
    async join(roomId, userId, at) {
      const _id = oidOrNull(roomId)
      const room = _id && (await rooms.findOne({ _id }))
      if (!_id || !room) return 'missing'
      const uid = oid(userId)
      if (await members.findOne({ roomId: _id, userId: uid }, { projection: { _id: 1 } })) return 'already'
      if (await barAt(roomId, userId, at)) return 'barred'
      const ticket = await takeTicket(_id, uid, at)
      if (ticket === null) return 'already'
      // Checked again once the membership is stored: `exclude` writes the bar before it removes
      // the membership, so a bar written while we joined is either seen here (and we leave) or
      // came after our insert, and then its removal takes our membership away.
      if (await barAt(roomId, userId, at)) {
        await members.deleteOne({ _id: `${roomId}:${ticket}` })
        await recount(_id)
        return 'barred'
      }
      // Tickets are ordered like the joins, so whoever is ahead of us stays ahead: if the room
      // was full before our ticket, we are the one who leaves, whatever joins meanwhile.
      const ahead = await members.countDocuments({ roomId: _id, ticket: { $lt: ticket } })
      if (ahead >= room.maxMembers) {
        await members.deleteOne({ _id: `${roomId}:${ticket}` })
        // Others may have counted our short-lived membership: every change is followed by a recount.
        await recount(_id)
        return 'full'
      }
      await recount(_id)
      return 'joined'
    },
    async leave(roomId, userId) {
      const _id = oidOrNull(roomId)
      if (!_id) return false
      const r = await members.deleteOne({ roomId: _id, userId: oid(userId) })
      if (r.deletedCount > 0) await recount(_id)
      return r.deletedCount > 0
    },
    async isMember(roomId, userId) {
      const _id = oidOrNull(roomId)
      return (
        _id !== null &&
        (await members.findOne({ roomId: _id, userId: oid(userId) }, { projection: { _id: 1 } })) !== null
      )
    },
    async members(roomId, limit, after) {
      const _id = oidOrNull(roomId)
      if (!_id) return []
      const docs = await members
        .find({ roomId: _id, ticket: { $gt: Number(after?.[0] ?? 0) } })
        .sort({ ticket: 1 })
        .limit(limit + 1)
        .toArray()
      return docs.map(toMember)
    },
    async openDm(room) {
      // The pair is claimed by an insert (unique `_id`): of racing calls one claims it with its
      // room id and the others read that id. Every caller then makes sure the room and both
      // memberships exist (inserts that tolerate "already there"), so a claimer that died half
      // way is completed by the next call.
      const key = room.dm.join(':')
      let roomId = oid(room.id)
      try {
        await dms.insertOne({ _id: key, roomId })
      } catch (err) {
        if (!isDuplicateKey(err)) throw err
        const found = await dms.findOne({ _id: key })
        if (!found) throw err
        roomId = found.roomId
      }
      const { id: _, ...fields } = room
      try {
        await rooms.insertOne({ _id: roomId, nameLower: room.name.toLowerCase(), ...fields, memberCount: 0 })
      } catch (err) {
        if (!isDuplicateKey(err)) throw err
      }
      for (const user of room.dm) {
        const uid = oid(user)
        if (!(await members.findOne({ roomId, userId: uid }, { projection: { _id: 1 } })))
          await takeTicket(roomId, uid, room.createdAt)
      }
      await recount(roomId)
      return toRoom((await rooms.findOne({ _id: roomId }))!)
    },
    async mute(roomId, userId, until, entry) {
      const _id = `${roomId}:${userId}`
      if (until) await mutes.replaceOne({ _id }, { until }, { upsert: true })
      else await mutes.deleteOne({ _id })
      // After the mute (no transactions): an entry never tells of a mute that was not set.
      if (entry) await appendAudit(audit, entry)
    },
    async exclude(roomId, userId, bar, entry: AuditRecord) {
      if (bar)
        await bars.replaceOne(
          { _id: barKey(roomId, userId, bar.kind) },
          { roomId, userId, kind: bar.kind, until: bar.until },
          { upsert: true },
        )
      const _id = oidOrNull(roomId)
      let left = false
      if (_id) {
        left = (await members.deleteOne({ roomId: _id, userId: oid(userId) })).deletedCount > 0
        if (left) await recount(_id)
      }
      await appendAudit(audit, entry)
      return left
    },
    async unbar(roomId, userId, entry) {
      const r = await bars.deleteMany({
        _id: { $in: [barKey(roomId, userId, 'ban'), barKey(roomId, userId, 'kick')] },
      })
      if (r.deletedCount === 0) return false
      await appendAudit(audit, entry)
      return true
    },
    barOf: barAt,
    async hide(roomId, userId, seq) {
      const _id = oidOrNull(roomId)
      if (!_id) return false
      const r = await members.updateOne({ roomId: _id, userId: oid(userId) }, { $set: { hiddenSeq: seq } })
      return r.matchedCount > 0
    },
    async unhide(roomId, userId) {
      const _id = oidOrNull(roomId)
      if (_id) await members.updateOne({ roomId: _id, userId: oid(userId) }, { $set: { hiddenSeq: null } })
    },
    async mutedUntil(roomId, userId) {
      return (await mutes.findOne({ _id: `${roomId}:${userId}` }))?.until ?? null
    },
    async roomsOf(userId) {
      const uid = oidOrNull(userId)
      if (!uid) return []
      const mine = await members.find({ userId: uid }).sort({ ticket: 1 }).toArray()
      // A join racing a deletion can leave a stray membership behind: list existing rooms only.
      const alive = new Set(
        (
          await rooms.find({ _id: { $in: mine.map((m) => m.roomId) } }, { projection: { _id: 1 } }).toArray()
        ).map((r) => hex(r._id)),
      )
      return mine.map((m) => hex(m.roomId)).filter((id) => alive.has(id))
    },
  }
}
