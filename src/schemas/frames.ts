// The WebSocket protocol: one JSON object per text frame, with a `type`. These schemas are the
// reference for clients (the @roomchat/client package, /asyncapi.json) and for the gateway's
// validation of incoming frames.
import { type Static, Type } from 'typebox'
import { Id, Time } from './common.ts'
import { ERROR_CODES, type ErrorCode } from './error-codes.ts'
import { Change, ClientMsgId, Message, MessageText, ReplyToSeq, Room } from './rooms.ts'

/** A machine code of ERROR_CODES, as a schema. */
export const ErrorCodeSchema = Type.Unsafe<ErrorCode>({
  type: 'string',
  enum: Object.keys(ERROR_CODES),
  description: 'A machine code of the error list: branch on it',
})

// Client → server
export const JoinFrame = Type.Object({
  type: Type.Literal('join'),
  room: Id,
  since: Type.Optional(Type.Integer({ minimum: 0 })),
})
export const LeaveFrame = Type.Object({ type: Type.Literal('leave'), room: Id })
export const SendFrame = Type.Object({
  type: Type.Literal('send'),
  room: Id,
  clientMsgId: ClientMsgId,
  text: MessageText,
  replyTo: Type.Optional(ReplyToSeq),
})
export const TypingFrame = Type.Object({ type: Type.Literal('typing'), room: Id })
export const PingFrame = Type.Object({ type: Type.Literal('ping') })

export const ClientFrame = Type.Union([JoinFrame, LeaveFrame, SendFrame, TypingFrame, PingFrame])
export type ClientFrame = Static<typeof ClientFrame>

// Server → client
/**
 * The events of a `join {since}` that were not replayed, because there were more of them than
 * WS_REPLAY_MAX_EVENTS (or than the socket's replay budget had left): the socket is live from
 * `through`, and the client pages `(after, through]` through `GET /api/rooms/:id/messages?after=`.
 */
export const SkippedReplay = Type.Object(
  {
    after: Type.Integer({ minimum: 0, description: 'the `since` of the join' }),
    through: Type.Integer({
      minimum: 0,
      description: 'the last seq not replayed; live frames follow from the next one (= `lastSeq`)',
    }),
  },
  { title: 'SkippedReplay' },
)
export const JoinedFrame = Type.Object({
  type: Type.Literal('joined'),
  room: Id,
  lastSeq: Type.Integer(),
  online: Type.Array(Id),
  skipped: Type.Optional(SkippedReplay),
})
export const AckFrame = Type.Object({
  type: Type.Literal('ack'),
  clientMsgId: ClientMsgId,
  id: Id,
  seq: Type.Integer(),
  createdAt: Time,
})
export const MessageFrame = Type.Object({ type: Type.Literal('message'), message: Message })
/** A message changed (edit, deletion, reactions): its current state; `seq` is the change's own, in the room's stream. */
export const UpdateFrame = Type.Object({
  type: Type.Literal('update'),
  room: Id,
  seq: Type.Integer({ minimum: 1 }),
  message: Message,
  change: Type.Optional(Change),
})
/**
 * A message was pinned (`pinned: true`) or unpinned: an event of the room's stream with its own
 * `seq`, replayed by `join {since}` like a message; `message` is the message in its current state.
 */
export const PinFrame = Type.Object({
  type: Type.Literal('pin'),
  room: Id,
  seq: Type.Integer({ minimum: 1 }),
  message: Message,
  pinned: Type.Boolean(),
})
/** The user's read marker of a room moved (on another tab or device): to every socket of the user. */
export const ReadFrame = Type.Object({
  type: Type.Literal('read'),
  room: Id,
  seq: Type.Integer({ minimum: 0 }),
})
export const PresenceFrame = Type.Object({ type: Type.Literal('presence'), room: Id, online: Type.Array(Id) })
export const TypingNotice = Type.Object({ type: Type.Literal('typing'), room: Id, user: Id })
export const RoomFrame = Type.Object({ type: Type.Literal('room'), room: Room })
/** Live delivery of a room ended without the client asking: it left on another tab, or the room was deleted. */
export const RemovedFrame = Type.Object({
  type: Type.Literal('removed'),
  room: Id,
  reason: Type.Union([
    Type.Literal('left'),
    Type.Literal('deleted'),
    Type.Literal('kicked'),
    Type.Literal('banned'),
  ]),
})
export const ErrorFrame = Type.Object({
  type: Type.Literal('error'),
  code: ErrorCodeSchema,
  message: Type.String(),
  ref: Type.Optional(Type.String()),
})
export const PongFrame = Type.Object({ type: Type.Literal('pong') })

export const ServerFrame = Type.Union([
  JoinedFrame,
  AckFrame,
  MessageFrame,
  UpdateFrame,
  PinFrame,
  ReadFrame,
  PresenceFrame,
  TypingNotice,
  RoomFrame,
  RemovedFrame,
  ErrorFrame,
  PongFrame,
])
export type ServerFrame = Static<typeof ServerFrame>

/** Close codes the server uses (meanings: CLOSE_CODES below). */
export const CloseCodes = {
  /** Policy violation: too many bad frames, a frame too large, or too many frames per second. */
  POLICY: 1008,
  /** The instance is draining: reconnect (to another) and re-join with `since`. */
  RESTART: 1012,
  /** The socket could not keep up (send buffer over its bound): reconnect and re-join with `since`. */
  SLOW: 1013,
  /** The session was revoked (logout elsewhere, password change, ban): do not reconnect. */
  REVOKED: 4001,
} as const

/**
 * The longest valid client frame, however a client escapes it: a `send` whose 4000-code-point
 * text is all astral characters written as JSON surrogate escapes (`\\uD83D\\uDE00`, 12 bytes each),
 * every other character of its keys and values written as a 6-byte `\\uXXXX`, and the JSON
 * punctuation. WS_MAX_FRAME_BYTES may not be set below it.
 */
export const LONGEST_VALID_FRAME_BYTES =
  4000 * 12 + // text
  6 * ('type'.length + 'send'.length + 'room'.length + 24 + 'clientMsgId'.length + 64 + 'text'.length) +
  6 * ('replyTo'.length + 16) + // the optional reply target, its key escaped, a 16-digit seq
  2 + // its key's quotes
  2 + // its colon and comma
  2 * 8 +
  4 +
  3 +
  2 // quotes, colons, commas, braces

/** Every close code a client may see on /ws, what it means and whether to reconnect. */
export const CLOSE_CODES: Record<number, { name: string; meaning: string; reconnect: boolean }> = {
  1000: { name: 'NORMAL', meaning: 'Closed on purpose by the client', reconnect: false },
  1006: {
    name: 'ABNORMAL',
    meaning: 'The connection dropped without a close frame (network, a killed instance)',
    reconnect: true,
  },
  [CloseCodes.POLICY]: {
    name: 'POLICY',
    meaning:
      'Policy violation: over WS_MAX_BAD_FRAMES bad frames in WS_BAD_FRAME_WINDOW_SECONDS, a frame over WS_MAX_FRAME_BYTES, over the frame rate, or over WS_MAX_SOCKETS_PER_USER sockets',
    reconnect: true,
  },
  1009: {
    name: 'TOO_BIG',
    meaning: 'A frame over four times WS_MAX_FRAME_BYTES (refused by the WebSocket library itself)',
    reconnect: true,
  },
  [CloseCodes.RESTART]: {
    name: 'RESTART',
    meaning: 'The instance is draining: reconnect (to another) and re-join with `since`',
    reconnect: true,
  },
  [CloseCodes.SLOW]: {
    name: 'SLOW',
    meaning:
      'The socket could not keep up (unsent data over WS_MAX_BUFFERED_BYTES): reconnect and re-join with `since`',
    reconnect: true,
  },
  [CloseCodes.REVOKED]: {
    name: 'REVOKED',
    meaning:
      'The session was revoked (logout elsewhere, password change, ban): do not reconnect; sign in again',
    reconnect: false,
  },
}
