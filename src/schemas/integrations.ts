// Outgoing integrations (webhooks to a receiver of the operator's): what an admin creates, lists
// and reads back, and what each delivery carries. The secret is written once and never shown.
import { type Static, Type } from 'typebox'
import { Id, Time } from './common.ts'

/** Limits of the create body, shared by the schema and its rules (src/integrations/service.ts). */
export const SECRET_MIN = 16
export const SECRET_MAX = 256
export const URL_MAX = 2048
export const ROOMS_MAX = 1000

export const IntegrationEvent = Type.Union(
  [Type.Literal('message'), Type.Literal('update'), Type.Literal('pin'), Type.Literal('member')],
  {
    description:
      'message: a new message; update: an edit, deletion or reaction; pin: a pin or unpin; member: a system message',
  },
)
export type IntegrationEvent = Static<typeof IntegrationEvent>

/** `[id]` or `"all"`: a union of an array and a constant, valid in OpenAPI 3.0 (oneOf). */
export const IntegrationRooms = Type.Union(
  [
    Type.Array(Id, { minItems: 1, maxItems: ROOMS_MAX, uniqueItems: true }),
    Type.Literal('all', { description: 'every room but direct rooms, rooms created later included' }),
  ],
  { description: 'the rooms whose events are sent' },
)
export type IntegrationRooms = Static<typeof IntegrationRooms>

export const IntegrationBody = Type.Object(
  {
    url: Type.String({
      minLength: 8,
      maxLength: URL_MAX,
      pattern: '^[Hh][Tt][Tt][Pp][Ss]?://',
      description: '`https:` or `http:` on a public address',
    }),
    secret: Type.String({
      minLength: SECRET_MIN,
      maxLength: SECRET_MAX,
      description: 'the HMAC-SHA256 key of `X-Roomchat-Signature`; never shown again',
    }),
    rooms: IntegrationRooms,
    events: Type.Array(IntegrationEvent, { minItems: 1, maxItems: 4, uniqueItems: true }),
  },
  { additionalProperties: false },
)
export type IntegrationBody = Static<typeof IntegrationBody>

export const Integration = Type.Object(
  {
    id: Id,
    url: Type.String(),
    rooms: IntegrationRooms,
    events: Type.Array(IntegrationEvent),
    createdAt: Time,
    createdBy: Type.Object({ id: Id, username: Type.String() }),
  },
  { title: 'Integration' },
)
export type Integration = Static<typeof Integration>

export const IntegrationRoomState = Type.Object(
  {
    room: Id,
    deliveredSeq: Type.Integer({
      minimum: 0,
      description: 'events up to this seq are delivered (or not subscribed)',
    }),
    lastSeq: Type.Integer({ minimum: 0, description: "the room's newest seq" }),
    lastError: Type.Optional(
      Type.String({ description: 'why the last attempt failed; absent once one succeeds' }),
    ),
    lastAttemptAt: Type.Optional(Time),
  },
  { title: 'IntegrationRoomState' },
)
export type IntegrationRoomState = Static<typeof IntegrationRoomState>

export const IntegrationCreated = Type.Object({ integration: Integration })
export const IntegrationList = Type.Object({ items: Type.Array(Integration) })
export type IntegrationList = Static<typeof IntegrationList>
export const IntegrationDetail = Type.Object({
  integration: Integration,
  rooms: Type.Array(IntegrationRoomState),
})
export type IntegrationDetail = Static<typeof IntegrationDetail>

/** The body of each delivery (`POST url`), signed as sent. */
export interface IntegrationDelivery {
  integration: string
  room: string
  seq: number
  type: IntegrationEvent
  /** The message (for an update or a pin: the changed message in its current state). */
  message?: unknown
  /** An update's change (edit, delete, react, unreact). */
  change?: unknown
  /** A pin event: pinned (true) or unpinned. */
  pinned?: boolean
}
