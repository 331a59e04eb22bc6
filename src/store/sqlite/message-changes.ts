// Changing stored messages in SQLite: edits, deletions and reactions, each in a transaction.
import type { Database } from 'better-sqlite3'
import type { MessageStore } from '../store.ts'
import { type Row, toMessage } from './message-rows.ts'
import type { SearchIndex } from './search-index.ts'

export function sqliteChanges(
  db: Database,
  search: SearchIndex,
): Pick<MessageStore, 'edit' | 'remove' | 'removeMany' | 'react' | 'unreact'> {
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

  const edit = db.transaction((roomId: string, seq: number, text: string, mentions: string[], at: number) => {
    const row = bySeq.get(roomId, seq)
    if (!row) return 'missing' as const
    if (row.deleted) return 'deleted' as const
    editStmt.run(text, JSON.stringify(mentions), at, roomId, seq)
    // The search index follows the text in the same transaction: found by the new text only.
    if (row.search_id != null) search.reindex(row.search_id, text)
    return 'edited' as const
  })
  const remove = db.transaction((roomId: string, seq: number) => {
    const row = bySeq.get(roomId, seq)
    if (!row || row.deleted) return null
    wipe.run(roomId, seq)
    if (row.search_id != null) search.unindex(row.search_id)
    deleteReactions.run(row.id)
    return toMessage(row)
  })
  const removeMany = db.transaction((roomId: string, seqs: number[]) =>
    seqs.flatMap((seq) => {
      const removed = remove(roomId, seq)
      return removed ? [removed] : []
    }),
  )
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
    async edit(roomId, seq, text, mentions, at) {
      return edit(roomId, seq, text, mentions, at.getTime())
    },
    async remove(roomId, seq) {
      return remove(roomId, seq)
    },
    async removeMany(roomId, seqs) {
      return removeMany(roomId, seqs)
    },
    async react(messageId, emoji, userId, max, at) {
      return react(messageId, emoji, userId, max, at.getTime())
    },
    async unreact(messageId, emoji, userId) {
      return deleteReaction.run(messageId, emoji, userId).changes > 0
    },
  }
}
