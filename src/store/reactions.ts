// Reactions as both adapters read them: one row per (message, emoji, user), in the order they
// were added, grouped into each message's emojis (first added first) with their users.
import type { ReactionRecord } from './records.ts'

export interface ReactionRow {
  messageId: string
  emoji: string
  userId: string
}

export function groupReactions(rows: Iterable<ReactionRow>): Map<string, ReactionRecord[]> {
  const byMessage = new Map<string, Map<string, string[]>>()
  for (const r of rows) {
    let emojis = byMessage.get(r.messageId)
    if (!emojis) {
      emojis = new Map()
      byMessage.set(r.messageId, emojis)
    }
    const users = emojis.get(r.emoji)
    if (users) users.push(r.userId)
    else emojis.set(r.emoji, [r.userId])
  }
  return new Map(
    [...byMessage].map(([id, emojis]) => [id, [...emojis].map(([emoji, users]) => ({ emoji, users }))]),
  )
}
