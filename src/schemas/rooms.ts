import { type Static, Type } from 'typebox'
import { Id, PageQuery, Time } from './common.ts'
import { PublicUser, UserRef } from './users.ts'

export const Room = Type.Object(
  {
    id: Id,
    name: Type.String(),
    description: Type.String(),
    creator: UserRef,
    memberCount: Type.Integer(),
    maxMembers: Type.Integer(),
    lastSeq: Type.Integer({ description: 'seq of the newest message; 0 when there is none' }),
    createdAt: Time,
  },
  { title: 'Room' },
)
export type Room = Static<typeof Room>

export const MAX_MEMBERS_LIMIT = 10_000

export const CreateRoomBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 80 }),
  description: Type.Optional(Type.String({ maxLength: 500 })),
  maxMembers: Type.Optional(Type.Integer({ minimum: 2, maximum: MAX_MEMBERS_LIMIT, default: 500 })),
})
export type CreateRoomBody = Static<typeof CreateRoomBody>

export const RoomsQuery = Type.Intersect([
  PageQuery,
  Type.Object({
    q: Type.Optional(Type.String({ maxLength: 80 })),
    mine: Type.Optional(Type.Boolean()),
  }),
])
export type RoomsQuery = Static<typeof RoomsQuery>

export const FileInfo = Type.Object(
  {
    id: Id,
    name: Type.String(),
    size: Type.Integer(),
    contentType: Type.String(),
  },
  { title: 'File' },
)

export const MessageKind = Type.Union([Type.Literal('text'), Type.Literal('file'), Type.Literal('system')])

export const Message = Type.Object(
  {
    id: Id,
    room: Id,
    seq: Type.Integer({ minimum: 1 }),
    kind: MessageKind,
    from: Type.Union([UserRef, Type.Null()]),
    text: Type.String(),
    file: Type.Optional(FileInfo),
    clientMsgId: Type.Optional(Type.String()),
    createdAt: Time,
  },
  { title: 'Message' },
)
export type Message = Static<typeof Message>

export const ClientMsgId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' })
export const MessageText = Type.String({ minLength: 1, maxLength: 4000 })

export const SendBody = Type.Object({ text: MessageText, clientMsgId: ClientMsgId })
export type SendBody = Static<typeof SendBody>

export const HistoryQuery = Type.Object({
  before: Type.Optional(Type.Integer({ minimum: 1 })),
  after: Type.Optional(Type.Integer({ minimum: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
})
export type HistoryQuery = Static<typeof HistoryQuery>

export const Member = Type.Object(
  { user: PublicUser, joinedAt: Time, online: Type.Boolean() },
  { title: 'Member' },
)
export type Member = Static<typeof Member>
