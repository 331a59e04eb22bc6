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

/** `readSeq`: the read marker at opening (null: none shown); `me`: the reader, whose messages are never new. */
export function layoutRows(messages: Message[], readSeq: number | null, me: string | undefined): Row[] {
  const rows: Row[] = []
  let prev: Message | undefined
  let newShown = false
  const now = new Date()
  for (const m of messages) {
    const at = new Date(m.createdAt)
    const prevAt = prev ? new Date(prev.createdAt) : null
    const newDay = !prevAt || dayKey(prevAt) !== dayKey(at)
    const firstNew =
      !newShown && readSeq !== null && m.seq > readSeq && m.from?.id !== me && m.kind !== 'system'
    if (firstNew) newShown = true
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
