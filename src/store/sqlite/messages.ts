import type { Database } from 'better-sqlite3'
import { groupReactions } from '../reactions.ts'
import type { MessageRecord, NewMessage, ReactionRecord } from '../records.ts'
import type { MessageStore, UnreadRecord } from '../store.ts'

interface Row {
  id: string
  room_id: string
  seq: number
  kind: MessageRecord['kind']
  from_user: string | null
  text: string
  file: string | null
  client_msg_id: string | null
  created_at: number
  edited_at: number | null
  deleted: number
  reply_to: string | null
  mentions: string
  target: number | null
}

const toMessage = (r: Row): MessageRecord => ({
  id: r.id,
  roomId: r.room_id,
  seq: r.seq,
  kind: r.kind,
  from: r.from_user ? JSON.parse(r.from_user) : null,
  text: r.text,
  file: r.file ? JSON.parse(r.file) : null,
  clientMsgId: r.client_msg_id,
  createdAt: new Date(r.created_at),
  editedAt: r.edited_at === null ? null : new Date(r.edited_at),
  deleted: r.deleted === 1,
  replyTo: r.reply_to ? JSON.parse(r.reply_to) : null,
  mentions: JSON.parse(r.mentions),
  target: r.target,
})

export function sqliteMessages(db: Database): MessageStore {
  const existing = db.prepare<[string, string | null, string], Row>(
    'SELECT * FROM messages WHERE room_id = ? AND from_id IS ? AND client_msg_id = ?',
  )
  const last = db.prepare<[string], { seq: number | null }>(
    'SELECT max(seq) AS seq FROM messages WHERE room_id = ?',
  )
  // A repeated clientMsgId inserts nothing (the idempotency index) and returns no row: the
  // common case, a new message, costs one statement instead of a lookup and an insert. Only the
  // seq comes back: the record is the message given (its JSON columns are not parsed again).
  const insert = db.prepare<Record<string, unknown>, { seq: number }>(
    `INSERT INTO messages (id, room_id, seq, kind, from_id, from_user, text, file, client_msg_id, created_at,
                           reply_to, mentions, target)
     VALUES (@id, @roomId, (SELECT coalesce(max(seq), 0) + 1 FROM messages WHERE room_id = @roomId),
             @kind, @fromId, @fromUser, @text, @file, @clientMsgId, @createdAt, @replyTo, @mentions, @target)
     ON CONFLICT DO NOTHING
     RETURNING seq`,
  )
  const after = db.prepare<[string, number, number], Row>(
    'SELECT * FROM messages WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?',
  )
  const before = db.prepare<[string, number, number], Row>(
    'SELECT * FROM messages WHERE room_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
  )
  const historyAfter = db.prepare<[string, number, number], Row>(
    'SELECT * FROM messages WHERE room_id = ? AND seq > ? AND target IS NULL ORDER BY seq LIMIT ?',
  )
  const historyBefore = db.prepare<[string, number, number], Row>(
    'SELECT * FROM messages WHERE room_id = ? AND seq < ? AND target IS NULL ORDER BY seq DESC LIMIT ?',
  )
  const bySeq = db.prepare<[string, number], Row>(
    'SELECT * FROM messages WHERE room_id = ? AND seq = ? AND target IS NULL',
  )
  const editStmt = db.prepare(
    'UPDATE messages SET text = ?, mentions = ?, edited_at = ? WHERE room_id = ? AND seq = ? AND target IS NULL',
  )
  const wipe = db.prepare(
    `UPDATE messages SET text = '', mentions = '[]', file = NULL, reply_to = NULL, deleted = 1
     WHERE room_id = ? AND seq = ?`,
  )
  const reactionsOf = db.prepare<[string], { message_id: string; emoji: string; user_id: string }>(
    `SELECT message_id, emoji, user_id FROM reactions WHERE message_id IN (SELECT value FROM json_each(?))
     ORDER BY at, rowid`,
  )
  const insertReaction = db.prepare(
    'INSERT OR IGNORE INTO reactions (message_id, emoji, user_id, at) VALUES (?, ?, ?, ?)',
  )
  const distinctEmojis = db.prepare<[string], { emoji: string }>(
    'SELECT DISTINCT emoji FROM reactions WHERE message_id = ?',
  )
  const deleteReaction = db.prepare(
    'DELETE FROM reactions WHERE message_id = ? AND emoji = ? AND user_id = ?',
  )
  const deleteReactions = db.prepare('DELETE FROM reactions WHERE message_id = ?')
  const upsertRead = db.prepare(
    `INSERT INTO read_markers (room_id, user_id, seq) VALUES (?, ?, ?)
     ON CONFLICT (room_id, user_id) DO UPDATE SET seq = excluded.seq WHERE excluded.seq > read_markers.seq`,
  )
  const readOf = db.prepare<[string, string], { seq: number }>(
    'SELECT seq FROM read_markers WHERE room_id = ? AND user_id = ?',
  )
  // One query for all the user's rooms: seqs and markers are indexed, so each room costs an
  // index range from its marker to its end.
  const unreadStmt = db.prepare<Record<string, unknown>, UnreadRecord>(
    `SELECT * FROM (
       SELECT mb.room_id AS room,
              (SELECT coalesce(max(seq), 0) FROM messages WHERE room_id = mb.room_id) AS lastSeq,
              coalesce(rm.seq, 0) AS readSeq,
              (SELECT count(*) FROM messages m WHERE m.room_id = mb.room_id AND m.seq > coalesce(rm.seq, 0)
                 AND m.target IS NULL AND m.deleted = 0 AND m.from_id IS NOT NULL AND m.from_id != @user) AS unread,
              (SELECT count(*) FROM messages m WHERE m.room_id = mb.room_id AND m.seq > coalesce(rm.seq, 0)
                 AND m.target IS NULL AND m.deleted = 0 AND m.from_id IS NOT NULL AND m.from_id != @user
                 AND m.mentions != '[]'
                 AND EXISTS (SELECT 1 FROM json_each(m.mentions) WHERE value = @user)) AS mentions
       FROM members mb
       LEFT JOIN read_markers rm ON rm.room_id = mb.room_id AND rm.user_id = mb.user_id
       WHERE mb.user_id = @user AND (@rooms IS NULL OR mb.room_id IN (SELECT value FROM json_each(@rooms)))
       ORDER BY mb.ticket
     ) WHERE unread > 0 OR mentions > 0`,
  )

  /** Attaches reactions to messages, and to an update the message it changed. */
  const complete = (rows: Row[], roomId: string): MessageRecord[] => {
    const list = rows.map(toMessage)
    const targets = new Map<number, MessageRecord | null>()
    for (const m of list) if (m.target != null && !targets.has(m.target)) targets.set(m.target, null)
    for (const seq of targets.keys()) {
      const row = bySeq.get(roomId, seq)
      targets.set(seq, row ? toMessage(row) : null)
    }
    const plain = [
      ...list.filter((m) => m.target == null),
      ...[...targets.values()].filter((m) => m !== null),
    ]
    const byId =
      plain.length > 0
        ? groupReactions(
            reactionsOf
              .all(JSON.stringify(plain.map((m) => m.id)))
              .map((r) => ({ messageId: r.message_id, emoji: r.emoji, userId: r.user_id })),
          )
        : new Map<string, ReactionRecord[]>()
    for (const m of plain) m.reactions = byId.get(m.id) ?? []
    for (const m of list) if (m.target != null) m.current = targets.get(m.target) ?? null
    return list
  }

  // Called inside a transaction: the seq and the insert see no other writer.
  const appendOne = (m: NewMessage): { message: MessageRecord; duplicate: boolean } => {
    const fromId = m.from?.id ?? null
    const row = insert.get({
      id: m.id,
      roomId: m.roomId,
      kind: m.kind,
      fromId,
      fromUser: m.from ? JSON.stringify(m.from) : null,
      text: m.text,
      file: m.file ? JSON.stringify(m.file) : null,
      clientMsgId: m.clientMsgId,
      createdAt: m.createdAt.getTime(),
      replyTo: m.replyTo ? JSON.stringify(m.replyTo) : null,
      mentions: JSON.stringify(m.mentions ?? []),
      target: m.target ?? null,
    })
    if (row) {
      // What toMessage would read back from the row just written.
      const message: MessageRecord = {
        id: m.id,
        roomId: m.roomId,
        seq: row.seq,
        kind: m.kind,
        from: m.from,
        text: m.text,
        file: m.file,
        clientMsgId: m.clientMsgId,
        createdAt: new Date(m.createdAt.getTime()),
        editedAt: null,
        deleted: false,
        replyTo: m.replyTo ?? null,
        mentions: m.mentions ?? [],
        target: m.target ?? null,
      }
      if (m.current !== undefined) message.current = m.current
      return { message, duplicate: false }
    }
    const first = m.clientMsgId ? existing.get(m.roomId, fromId, m.clientMsgId) : undefined
    if (!first) throw new Error(`message ${m.id} collided with no message of the same clientMsgId`)
    return { message: toMessage(first), duplicate: true }
  }
  const append = db.transaction(appendOne)
  // One transaction and one commit for the whole batch (a failure fails the batch).
  const appendMany = db.transaction((list: NewMessage[]) => list.map(appendOne))

  const edit = db.transaction((roomId: string, seq: number, text: string, mentions: string[], at: number) => {
    const row = bySeq.get(roomId, seq)
    if (!row) return 'missing' as const
    if (row.deleted) return 'deleted' as const
    editStmt.run(text, JSON.stringify(mentions), at, roomId, seq)
    return 'edited' as const
  })
  const remove = db.transaction((roomId: string, seq: number) => {
    const row = bySeq.get(roomId, seq)
    if (!row || row.deleted) return null
    wipe.run(roomId, seq)
    deleteReactions.run(row.id)
    return toMessage(row)
  })
  const react = db.transaction(
    (messageId: string, emoji: string, userId: string, max: number, at: number) => {
      const emojis = distinctEmojis.all(messageId).map((r) => r.emoji)
      if (!emojis.includes(emoji) && emojis.length >= max) return 'full' as const
      return insertReaction.run(messageId, emoji, userId, at).changes > 0
        ? ('added' as const)
        : ('already' as const)
    },
  )

  return {
    async append(message) {
      return append(message)
    },
    async appendMany(list) {
      return appendMany(list)
    },
    async range(roomId, q) {
      if (q.before !== undefined) return complete(before.all(roomId, q.before, q.limit).reverse(), roomId)
      return complete(after.all(roomId, q.after ?? 0, q.limit), roomId)
    },
    async history(roomId, q) {
      if (q.before !== undefined)
        return complete(historyBefore.all(roomId, q.before, q.limit).reverse(), roomId)
      return complete(historyAfter.all(roomId, q.after ?? 0, q.limit), roomId)
    },
    async get(roomId, seq) {
      const row = bySeq.get(roomId, seq)
      return row ? complete([row], roomId)[0]! : null
    },
    async lastSeq(roomId) {
      return last.get(roomId)?.seq ?? 0
    },
    async edit(roomId, seq, text, mentions, at) {
      return edit(roomId, seq, text, mentions, at.getTime())
    },
    async remove(roomId, seq) {
      return remove(roomId, seq)
    },
    async react(messageId, emoji, userId, max, at) {
      return react(messageId, emoji, userId, max, at.getTime())
    },
    async unreact(messageId, emoji, userId) {
      return deleteReaction.run(messageId, emoji, userId).changes > 0
    },
    async markRead(roomId, userId, seq) {
      return upsertRead.run(roomId, userId, seq).changes > 0
    },
    async readSeq(roomId, userId) {
      return readOf.get(roomId, userId)?.seq ?? 0
    },
    async unread(userId, onlyRooms) {
      // A few rooms (a page): the query keeps to them. Many (all the user's, as the service
      // knows them): the query over all the user's rooms is cheaper than a long list to match,
      // and its rows (rooms with something unread) are few to keep to the named ones.
      if (!onlyRooms || onlyRooms.length <= 50)
        return unreadStmt.all({ user: userId, rooms: onlyRooms ? JSON.stringify(onlyRooms) : null })
      const wanted = new Set(onlyRooms)
      return unreadStmt.all({ user: userId, rooms: null }).filter((r) => wanted.has(r.room))
    },
  }
}
