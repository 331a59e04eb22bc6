// The frames the server sends, built by functions typed against the frame schemas
// (src/schemas/frames.ts): a frame that does not match its schema does not compile. Each
// returns the serialised text, ready for the socket.

import type { Static } from 'typebox'
import type { ErrorCode } from '../schemas/error-codes.ts'
import type {
  AckFrame,
  ErrorFrame,
  JoinedFrame,
  MessageFrame,
  PinFrame,
  PresenceFrame,
  ReadFrame,
  RemovedFrame,
  RoomFrame,
  SkippedReplay,
  TypingNotice,
  UpdateFrame,
} from '../schemas/frames.ts'
import type { Room } from '../schemas/rooms.ts'
import type { MessageRecord } from '../store/records.ts'
import { changeOf, toMessageView } from '../views/rooms.ts'

const text = <T>(frame: T): string => JSON.stringify(frame)

export const joinedFrame = (
  room: string,
  lastSeq: number,
  online: string[],
  skipped?: Static<typeof SkippedReplay>,
): string =>
  text<Static<typeof JoinedFrame>>(
    skipped ? { type: 'joined', room, lastSeq, online, skipped } : { type: 'joined', room, lastSeq, online },
  )

export const ackFrame = (clientMsgId: string, id: string, seq: number, createdAt: Date): string =>
  text<Static<typeof AckFrame>>({ type: 'ack', clientMsgId, id, seq, createdAt: createdAt.toISOString() })

export const presenceFrame = (room: string, online: string[]): string =>
  text<Static<typeof PresenceFrame>>({ type: 'presence', room, online })

export const typingFrame = (room: string, user: string): string =>
  text<Static<typeof TypingNotice>>({ type: 'typing', room, user })

export const roomFrame = (room: Room): string => text<Static<typeof RoomFrame>>({ type: 'room', room })

export const removedFrame = (room: string, reason: Static<typeof RemovedFrame>['reason']): string =>
  text<Static<typeof RemovedFrame>>({ type: 'removed', room, reason })

export const readFrame = (room: string, seq: number): string =>
  text<Static<typeof ReadFrame>>({ type: 'read', room, seq })

export const errorFrame = (code: ErrorCode, message: string, ref?: string): string =>
  text<Static<typeof ErrorFrame>>(
    ref === undefined ? { type: 'error', code, message } : { type: 'error', code, message, ref },
  )

/**
 * The frame of one event of a room's stream, serialised once and written as is to every
 * socket: a `message`, or an `update` carrying the changed message's current state.
 */
export const messageFrame = (m: MessageRecord): string => {
  if (m.kind !== 'update')
    return text<Static<typeof MessageFrame>>({ type: 'message', message: toMessageView(m) })
  const current: MessageRecord = m.current ?? {
    // The changed message is gone with its room: a tombstone keeps the stream whole.
    ...m,
    seq: m.target ?? m.seq,
    kind: 'system',
    text: '',
    deleted: true,
    reactions: [],
  }
  const change = changeOf(m)
  // A pin or an unpin is stored as an update of the message (so it takes a seq, is gap-filled
  // and replayed), but reaches clients as a `pin` frame.
  const kind = (change as { kind: string } | undefined)?.kind
  if (kind === 'pin' || kind === 'unpin')
    return text<Static<typeof PinFrame>>({
      type: 'pin',
      room: m.roomId,
      seq: m.seq,
      message: toMessageView(current),
      pinned: kind === 'pin',
    })
  return text<Static<typeof UpdateFrame>>({
    type: 'update',
    room: m.roomId,
    seq: m.seq,
    message: toMessageView(current),
    change,
  })
}

/** Constant: serialised once. */
export const PONG = '{"type":"pong"}'
