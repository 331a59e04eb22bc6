import type { Database } from 'better-sqlite3'
import type { MessageRecord, NewMessage } from '../records.ts'
import type { MessageStore } from '../store.ts'

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
})

export function sqliteMessages(db: Database): MessageStore {
  const existing = db.prepare<[string, string | null, string], Row>(
    'SELECT * FROM messages WHERE room_id = ? AND from_id IS ? AND client_msg_id = ?',
  )
  const last = db.prepare<[string], { seq: number | null }>(
    'SELECT max(seq) AS seq FROM messages WHERE room_id = ?',
  )
  // A repeated clientMsgId inserts nothing (the idempotency index) and returns no row: the
  // common case, a new message, costs one statement instead of a lookup and an insert.
  const insert = db.prepare<Record<string, unknown>, Row>(
    `INSERT INTO messages (id, room_id, seq, kind, from_id, from_user, text, file, client_msg_id, created_at)
     VALUES (@id, @roomId, (SELECT coalesce(max(seq), 0) + 1 FROM messages WHERE room_id = @roomId),
             @kind, @fromId, @fromUser, @text, @file, @clientMsgId, @createdAt)
     ON CONFLICT DO NOTHING
     RETURNING *`,
  )
  const after = db.prepare<[string, number, number], Row>(
    'SELECT * FROM messages WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?',
  )
  const before = db.prepare<[string, number, number], Row>(
    'SELECT * FROM messages WHERE room_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
  )

  // Called inside a transaction: the seq and the insert see no other writer.
  const appendOne = (m: NewMessage): { message: MessageRecord; duplicate: boolean } => {
    const fromId = m.from?.id ?? null
    const row = insert.get({
      ...m,
      fromId,
      fromUser: m.from ? JSON.stringify(m.from) : null,
      file: m.file ? JSON.stringify(m.file) : null,
      createdAt: m.createdAt.getTime(),
    })
    if (row) return { message: toMessage(row), duplicate: false }
    const first = m.clientMsgId ? existing.get(m.roomId, fromId, m.clientMsgId) : undefined
    if (!first) throw new Error(`message ${m.id} collided with no message of the same clientMsgId`)
    return { message: toMessage(first), duplicate: true }
  }
  const append = db.transaction(appendOne)
  // One transaction and one commit for the whole batch (a failure fails the batch).
  const appendMany = db.transaction((list: NewMessage[]) => list.map(appendOne))

  return {
    async append(message) {
      return append(message)
    },
    async appendMany(list) {
      return appendMany(list)
    },
    async range(roomId, q) {
      if (q.before !== undefined) return before.all(roomId, q.before, q.limit).map(toMessage).reverse()
      return after.all(roomId, q.after ?? 0, q.limit).map(toMessage)
    },
    async lastSeq(roomId) {
      return last.get(roomId)?.seq ?? 0
    },
  }
}
