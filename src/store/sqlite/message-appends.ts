// Appending to a room's stream in SQLite: the seq is the room's last plus one, taken in the
// insert itself, inside a transaction, so no other writer sees it.
import type { Database } from 'better-sqlite3'
import type { MessageRecord, NewMessage } from '../records.ts'
import type { MessageStore } from '../store.ts'
import { type Row, toMessage } from './message-rows.ts'
import type { SearchIndex } from './search-index.ts'

export function sqliteAppends(
  db: Database,
  search: SearchIndex,
): Pick<MessageStore, 'append' | 'appendMany' | 'sent'> {
  const existing = db.prepare<[string, string | null, string], Row>(
    'SELECT * FROM messages WHERE room_id = ? AND from_id IS ? AND client_msg_id = ?',
  )
  // A repeated clientMsgId inserts nothing (the idempotency index) and returns no row: the
  // common case, a new message, costs one statement instead of a lookup and an insert. Only the
  // seq comes back: the record is the message given (its JSON columns are not parsed again).
  // A message (not an update) takes the next search_id, above every one stored and the index's
  // watermark; it is searchable from the commit on (search-index.ts).
  const insert = db.prepare<Record<string, unknown>, { seq: number; search_id: number | null }>(
    `INSERT INTO messages (id, room_id, seq, kind, from_id, from_user, text, file, client_msg_id, created_at,
                           reply_to, mentions, target, search_id)
     VALUES (@id, @roomId, (SELECT coalesce(max(seq), 0) + 1 FROM messages WHERE room_id = @roomId),
             @kind, @fromId, @fromUser, @text, @file, @clientMsgId, @createdAt, @replyTo, @mentions, @target,
             CASE WHEN @indexed THEN max(coalesce((SELECT max(search_id) FROM messages), 0),
                                        (SELECT indexed_upto FROM search_state)) + 1 END)
     ON CONFLICT DO NOTHING
     RETURNING seq, search_id`,
  )
  /** The highest search_id the current transaction took, for the flush after it. */
  let lastSearchId: number | null = null

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
      indexed: m.kind === 'update' ? 0 : 1,
    })
    if (row) {
      if (row.search_id !== null) lastSearchId = row.search_id
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

  /** Runs an append's transaction, then lets the search index take what is pending. */
  const indexed = <T>(run: () => T): T => {
    lastSearchId = null
    const result = run()
    if (lastSearchId !== null) search.appended(lastSearchId)
    return result
  }

  return {
    async append(message) {
      return indexed(() => append(message))
    },
    async appendMany(list) {
      return indexed(() => appendMany(list))
    },
    async sent(roomId, senderId, clientMsgId) {
      const row = existing.get(roomId, senderId, clientMsgId)
      return row ? toMessage(row) : null
    },
  }
}
