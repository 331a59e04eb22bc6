import { type Static, Type } from 'typebox'
import { Id, PageQuery, Time } from './common.ts'
import { Author, PublicUser, UserRef } from './users.ts'

export const Room = Type.Object(
  {
    id: Id,
    name: Type.String(),
    description: Type.String(),
    creator: UserRef,
    memberCount: Type.Integer(),
    maxMembers: Type.Integer(),
    lastSeq: Type.Integer({ description: 'seq of the newest message or update; 0 when there is none' }),
    createdAt: Time,
    kind: Type.Union([Type.Literal('room'), Type.Literal('dm')]),
    peer: Type.Optional(
      Type.Union([PublicUser, Type.Null()], { description: 'a direct room: the other user' }),
    ),
    readSeq: Type.Optional(Type.Integer({ description: 'for a member: the read marker' })),
    unread: Type.Optional(
      Type.Integer({ description: 'for a member: messages of others after the marker, not deleted' }),
    ),
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

export const Reaction = Type.Object({
  emoji: Type.String(),
  count: Type.Integer({ minimum: 1 }),
  mine: Type.Boolean({ description: 'in frames (shared by every socket) always false: see `change`' }),
})

export const ReplyTo = Type.Object({
  seq: Type.Integer({ minimum: 1 }),
  from: Type.Union([UserRef, Type.Null()]),
  text: Type.String({ description: 'the first 200 code points of its text when the reply was sent' }),
})

export const Message = Type.Object(
  {
    id: Id,
    room: Id,
    seq: Type.Integer({ minimum: 1 }),
    kind: MessageKind,
    from: Type.Union([Author, Type.Null()]),
    text: Type.String(),
    file: Type.Optional(FileInfo),
    clientMsgId: Type.Optional(Type.String()),
    createdAt: Time,
    editedAt: Type.Union([Time, Type.Null()]),
    deleted: Type.Boolean(),
    replyTo: Type.Union([ReplyTo, Type.Null()]),
    mentions: Type.Array(Id),
    reactions: Type.Array(Reaction),
    hook: Type.Optional(
      Type.Object(
        { id: Id, name: Type.String() },
        {
          description:
            "an incoming webhook's message: the webhook (its name as set). `from` is then a stand-in sender with the webhook's id (not a user's), username `webhook`, the name shown and `bot: true`",
        },
      ),
    ),
  },
  { title: 'Message' },
)
export type Message = Static<typeof Message>

export const ClientMsgId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' })
export const MessageText = Type.String({ minLength: 1, maxLength: 4000 })

/** A seq of the same room: the message answered. */
export const ReplyToSeq = Type.Integer({ minimum: 1 })

export const SendBody = Type.Object({
  text: MessageText,
  clientMsgId: ClientMsgId,
  replyTo: Type.Optional(ReplyToSeq),
})
export type SendBody = Static<typeof SendBody>

export const HistoryQuery = Type.Object({
  before: Type.Optional(Type.Integer({ minimum: 1 })),
  after: Type.Optional(Type.Integer({ minimum: 0 })),
  around: Type.Optional(
    Type.Integer({
      minimum: 1,
      description: 'the page centred on this seq, with `prevCursor` and `nextCursor`',
    }),
  ),
  cursor: Type.Optional(
    Type.String({ maxLength: 64, description: 'a `prevCursor` or `nextCursor` of an `around` page' }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
})
export type HistoryQuery = Static<typeof HistoryQuery>

export const HistoryPage = Type.Object({
  items: Type.Array(Message),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
  prevCursor: Type.Optional(
    Type.Union([Type.String(), Type.Null()], { description: 'with `around` or `cursor`: the older page' }),
  ),
})
export type HistoryPage = Static<typeof HistoryPage>

export const Member = Type.Object(
  { user: PublicUser, joinedAt: Time, online: Type.Boolean() },
  { title: 'Member' },
)
export type Member = Static<typeof Member>

export const SeqParams = Type.Object({ id: Id, seq: Type.Integer({ minimum: 1 }) })
export const ReactionParams = Type.Object({
  id: Id,
  seq: Type.Integer({ minimum: 1 }),
  emoji: Type.String({ minLength: 1, maxLength: 64, description: 'one emoji grapheme' }),
})
export const MemberParams = Type.Object({ id: Id, userId: Id })

export const EditBody = Type.Object({ text: MessageText })
export const ReadBody = Type.Object({ seq: Type.Integer({ minimum: 0 }) })
/** Minutes of silence: 1 to 10080 (a week); 0 lifts the mute. */
export const MuteBody = Type.Object({ minutes: Type.Integer({ minimum: 0, maximum: 10_080 }) })
/**
 * A kick's bar: the user may not join again for `minutes` (0 to 10080, a week; 0 only removes).
 * Optional, as the body itself: a kick without one keeps the user out for 10 minutes.
 */
export const KickBody = Type.Object({
  minutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_080, default: 10 })),
})
export type KickBody = Static<typeof KickBody>
export const DmBody = Type.Object({ userId: Id })

export const UnreadItem = Type.Object({
  room: Id,
  lastSeq: Type.Integer(),
  readSeq: Type.Integer(),
  unread: Type.Integer(),
  mentions: Type.Integer(),
})
export type UnreadItem = Static<typeof UnreadItem>

/** What an `update` changed, and who changed it (so a client knows its own reactions). */
export const Change = Type.Object({
  kind: Type.Union([
    Type.Literal('edit'),
    Type.Literal('delete'),
    Type.Literal('react'),
    Type.Literal('unreact'),
  ]),
  by: Type.Union([Id, Type.Null()]),
  emoji: Type.Optional(Type.String()),
})
export type Change = Static<typeof Change>
