// How a room's messages are laid out, as in chat apps: a day separator where the day changes,
// consecutive messages of one person within a few minutes grouped under one name, and the
// "new since you were here" divider before the first message of someone else after the read
// marker the room had when it was opened.
import type { Message } from './types.ts'

/** Messages of one author at most this far apart are one group. */
export const GROUP_MS = 5 * 60_000

export interface Row {
  m: Message
  /** Continues the previous message's group: no avatar or name. */
  grouped: boolean
  /** The day's label when this message starts a day. */
  day: string | null
  /** The first message new since the reader was last here. */
  firstNew: boolean
}

const dayKey = (d: Date) => `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`

export function dayLabel(d: Date, now = new Date()): string {
  const yesterday = new Date(now)
  yesterday.setDate(now.getDate() - 1)
  if (dayKey(d) === dayKey(now)) return 'Today'
  if (dayKey(d) === dayKey(yesterday)) return 'Yesterday'
  return d.toLocaleDateString([], { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' })
}

/**
 * The first message new to the reader when the room was opened: after the read marker it had
 * then (`readSeq`), not the reader's own, not the server's. Null: none (all read, or no marker).
 * Fixed at opening, so messages arriving while the room is on screen get no divider.
 */
export function firstNewSeq(
  messages: Message[],
  readSeq: number | null,
  me: string | undefined,
): number | null {
  if (readSeq === null) return null
  return messages.find((m) => m.seq > readSeq && m.from?.id !== me && m.kind !== 'system')?.seq ?? null
}

/** `newFrom`: the seq the "new since you were here" divider stands before (firstNewSeq). */
export function layoutRows(messages: Message[], newFrom: number | null): Row[] {
  const rows: Row[] = []
  let prev: Message | undefined
  const now = new Date()
  for (const m of messages) {
    const at = new Date(m.createdAt)
    const prevAt = prev ? new Date(prev.createdAt) : null
    const newDay = !prevAt || dayKey(prevAt) !== dayKey(at)
    const firstNew = m.seq === newFrom
    const grouped =
      !!prev &&
      !newDay &&
      !firstNew &&
      !!m.from &&
      prev.from?.id === m.from.id &&
      prev.kind !== 'system' &&
      m.kind !== 'system' &&
      !m.replyTo &&
      at.getTime() - (prevAt?.getTime() ?? 0) < GROUP_MS
    rows.push({ m, grouped, day: newDay ? dayLabel(at, now) : null, firstNew })
    prev = m
  }
  return rows
}
