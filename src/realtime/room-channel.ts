// The bus channel of one room, `room:<id>`: its stored messages and its events, encoded and
// decoded here only. A message travels as `m<seq>,<createdAt>\n<frame>`: the frame serialised
// once by the publishing instance and written as is to every socket, with its seq and the
// record's createdAt (epoch ms, for the latency metrics) in front, so a receiver orders and times
// it without parsing the frame. An event travels as `e<json>`.
//
// Rolling upgrades: the version before sent `m<seq>\n<frame>`, which still decodes (a message
// without createdAt: delivered, not timed). That version refuses the new header as a bad payload
// and, as for any publish it lost, fills the message from the store (the mark tells it): its
// sockets still get every message, once and in order, later by up to a sweep.
import type { RemovalReason } from '../announcer.ts'
import type { Channel } from '../bus/channel.ts'
import type { Room } from '../schemas/rooms.ts'

/** What instances tell each other about a room, beside its messages. */
export type RoomEvent =
  | { k: 'room'; room: Room }
  /** The user's membership ended: left (on another tab), or `kicked` or `banned` by a moderator. */
  | { k: 'left'; user: string; reason?: RemovalReason }
  | { k: 'deleted' }
  | { k: 'typing'; user: string }
  | { k: 'presence' }

export type RoomPayload =
  /** `createdAt`: the record's, in epoch ms; absent from a message of the version before. */
  { kind: 'message'; seq: number; frame: string; createdAt?: number } | { kind: 'event'; event: RoomEvent }

const encode = (p: RoomPayload): string => {
  if (p.kind === 'event') return `e${JSON.stringify(p.event)}`
  return p.createdAt === undefined ? `m${p.seq}\n${p.frame}` : `m${p.seq},${p.createdAt}\n${p.frame}`
}

/** A message's header: its seq, then its createdAt unless it comes from the version before. */
const HEADER = /^(\d+)(?:,(\d+))?$/

const decode = (raw: string): RoomPayload => {
  if (raw[0] === 'm') {
    const nl = raw.indexOf('\n')
    if (nl < 0) throw new Error('bad message payload')
    const header = HEADER.exec(raw.slice(1, nl))
    if (!header) throw new Error('bad message payload')
    const seq = Number(header[1])
    const createdAt = header[2] === undefined ? undefined : Number(header[2])
    const frame = raw.slice(nl + 1)
    return createdAt === undefined
      ? { kind: 'message', seq, frame }
      : { kind: 'message', seq, frame, createdAt }
  }
  if (raw[0] === 'e') return { kind: 'event', event: JSON.parse(raw.slice(1)) as RoomEvent }
  throw new Error('unknown room payload')
}

export const roomChannel = (roomId: string): Channel<RoomPayload> => ({
  name: `room:${roomId}`,
  encode,
  decode,
})
