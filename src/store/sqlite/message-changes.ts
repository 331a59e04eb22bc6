// Changing stored messages in SQLite: edits, deletions and reactions, each in a transaction.
import type { Database } from 'better-sqlite3'
import { indexTerms } from '../../search/terms.ts'
import type { MessageStore } from '../store.ts'
import { type Row, toMessage } from './message-rows.ts'

export function sqliteChanges(db: Database): Pick<MessageStore, 'edit' | 'remove' | 'react' | 'unreact'> {
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
  // The search index follows the text in the same transaction: an edit is found by its new
  // text only, a deletion not at all.
  const unindex = db.prepare('DELETE FROM message_search WHERE rowid = ?')
  const index = db.prepare('INSERT INTO message_search (rowid, terms) VALUES (?, ?)')

  const edit = db.transaction((roomId: string, seq: number, text: string, mentions: string[], at: number) => {
    const row = bySeq.get(roomId, seq)
    if (!row) return 'missing' as const
    if (row.deleted) return 'deleted' as const
    editStmt.run(text, JSON.stringify(mentions), at, roomId, seq)
    if (row.search_id != null) {
      unindex.run(row.search_id)
      index.run(row.search_id, indexTerms(text).join(' '))
    }
    return 'edited' as const
  })
  const remove = db.transaction((roomId: string, seq: number) => {
    const row = bySeq.get(roomId, seq)
    if (!row || row.deleted) return null
    wipe.run(roomId, seq)
    if (row.search_id != null) unindex.run(row.search_id)
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
  }
}
