// The bus channel of one room, `room:<id>`: its stored messages and its events, encoded and
// decoded here only. A message travels as `m<seq>\n<frame>`: the frame serialised once by the
// publishing instance and written as is to every socket, with its seq in front so a receiver
// orders it without parsing the frame. An event travels as `e<json>`.
import type { Channel } from '../bus/channel.ts'
import type { Room } from '../schemas/rooms.ts'

/** What instances tell each other about a room, beside its messages. */
export type RoomEvent =
  | { k: 'room'; room: Room }
  /** The user's membership ended: left (on another tab), or `kicked` by a moderator. */
  | { k: 'left'; user: string; reason?: 'left' | 'kicked' }
  | { k: 'deleted' }
  | { k: 'typing'; user: string }
  | { k: 'presence' }

export type RoomPayload =
  | { kind: 'message'; seq: number; frame: string }
  | { kind: 'event'; event: RoomEvent }

const encode = (p: RoomPayload): string =>
  p.kind === 'message' ? `m${p.seq}\n${p.frame}` : `e${JSON.stringify(p.event)}`

const decode = (raw: string): RoomPayload => {
  if (raw[0] === 'm') {
    const nl = raw.indexOf('\n')
    const seq = Number(raw.slice(1, nl))
    if (nl < 0 || !Number.isInteger(seq)) throw new Error('bad message payload')
    return { kind: 'message', seq, frame: raw.slice(nl + 1) }
  }
  if (raw[0] === 'e') return { kind: 'event', event: JSON.parse(raw.slice(1)) as RoomEvent }
  throw new Error('unknown room payload')
}

export const roomChannel = (roomId: string): Channel<RoomPayload> => ({
  name: `room:${roomId}`,
  encode,
  decode,
})
