// What a push carries (the contract's payload) and what a mail line shows, from a message.

import type { NoticeLine } from '../mail/templates.ts'
import type { MessageRecord, RoomRecord } from '../store/records.ts'

const TEXT_MAX = 120

export interface PushPayload {
  room: string
  seq: number
  from: { id: string; displayName: string } | null
  /** The first 120 code points of the text. */
  text: string
  /** The web app's path of the room at the message. */
  url: string
  /** Set on a fold: how many notifications it stands for. */
  count?: number
}

export const roomPath = (roomId: string, seq: number) => `/rooms/${roomId}?seq=${seq}`
const cut = (s: string, n: number) => {
  const cps = [...s]
  return cps.length > n ? `${cps.slice(0, n - 1).join('')}…` : s
}

export function pushPayload(m: MessageRecord): PushPayload {
  return {
    room: m.roomId,
    seq: m.seq,
    from: m.from ? { id: m.from.id, displayName: m.from.displayName } : null,
    text: [...m.text].slice(0, TEXT_MAX).join(''),
    url: roomPath(m.roomId, m.seq),
  }
}

/** The room's name as its member sees it: a direct room is named after the other person. */
export const roomLabel = (room: RoomRecord, m: MessageRecord) =>
  room.kind === 'dm' ? `a direct conversation with ${m.from?.displayName ?? 'someone'}` : room.name

export function noticeLine(m: MessageRecord, room: RoomRecord, base: string): NoticeLine {
  return {
    room: roomLabel(room, m),
    from: m.from?.displayName ?? 'someone',
    text: cut(m.text, 500),
    url: `${base}${roomPath(m.roomId, m.seq)}`,
  }
}
