// Reading a room's stream from SQLite: pages in seq order, one message, the last seq. Each
// comes in its current state with its reactions; an update with the message it changed.
import type { Database } from 'better-sqlite3'
import { groupReactions } from '../reactions.ts'
import type { MessageRecord, ReactionRecord } from '../records.ts'
import type { MessageStore } from '../store.ts'
import { type Row, toMessage } from './message-rows.ts'

export function sqliteReads(db: Database): Pick<MessageStore, 'range' | 'history' | 'get' | 'lastSeq'> {
  const last = db.prepare<[string], { seq: number | null }>(
    'SELECT max(seq) AS seq FROM messages WHERE room_id = ?',
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
  const reactionsOf = db.prepare<[string], { message_id: string; emoji: string; user_id: string }>(
    `SELECT message_id, emoji, user_id FROM reactions WHERE message_id IN (SELECT value FROM json_each(?))
     ORDER BY at, rowid`,
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

  return {
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
  }
}
