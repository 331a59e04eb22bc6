// The wire schemas of keeping a community safe: blocks (paths only) and reports, their page
// query and the decision body.
import { type Static, Type } from 'typebox'
import { Id, PageQuery, Time } from './common.ts'
import { FileInfo, MessageKind } from './rooms.ts'
import { UserRef } from './users.ts'

export const UserIdParams = Type.Object({ userId: Id })

export const ReportReason = Type.Union([Type.Literal('spam'), Type.Literal('abuse'), Type.Literal('other')])
export type ReportReason = Static<typeof ReportReason>

export const ReportStatus = Type.Union([
  Type.Literal('open'),
  Type.Literal('resolved'),
  Type.Literal('dismissed'),
])
export type ReportStatus = Static<typeof ReportStatus>

/** What a decision carries out on the reported message or its author, as a moderator would by hand. */
export const ReportAction = Type.Union([
  Type.Literal('delete'),
  Type.Literal('mute'),
  Type.Literal('kick'),
  Type.Literal('ban'),
])
export type ReportAction = Static<typeof ReportAction>

export const ReportBody = Type.Object({
  room: Id,
  seq: Type.Integer({ minimum: 1 }),
  reason: ReportReason,
  note: Type.Optional(Type.String({ maxLength: 1000 })),
})
export type ReportBody = Static<typeof ReportBody>

/** The reported message as it was when reported: a later edit or deletion leaves it alone. */
export const ReportedMessage = Type.Object(
  {
    seq: Type.Integer({ minimum: 1 }),
    kind: MessageKind,
    from: Type.Union([UserRef, Type.Null()]),
    text: Type.String(),
    file: Type.Union([FileInfo, Type.Null()]),
    createdAt: Time,
    editedAt: Type.Union([Time, Type.Null()]),
  },
  { title: 'ReportedMessage' },
)
export type ReportedMessage = Static<typeof ReportedMessage>

const Ref = Type.Object({ id: Id, username: Type.String() })

export const Report = Type.Object(
  {
    id: Id,
    status: ReportStatus,
    reason: ReportReason,
    note: Type.String(),
    reporter: Ref,
    room: Type.Object({ id: Id, name: Type.String() }),
    message: ReportedMessage,
    createdAt: Time,
    decidedBy: Type.Union([Ref, Type.Null()]),
    decision: Type.Union(
      [
        Type.Object({
          status: Type.Union([Type.Literal('resolved'), Type.Literal('dismissed')]),
          action: Type.Union([ReportAction, Type.Null()]),
          at: Time,
        }),
        Type.Null(),
      ],
      { description: 'what was decided, with the action carried out; null while open' },
    ),
  },
  { title: 'Report' },
)
export type Report = Static<typeof Report>

export const ReportsQuery = Type.Intersect([PageQuery, Type.Object({ status: Type.Optional(ReportStatus) })])
export type ReportsQuery = Static<typeof ReportsQuery>

export const DecideBody = Type.Object({
  status: Type.Union([Type.Literal('resolved'), Type.Literal('dismissed')]),
  action: Type.Optional(ReportAction),
  minutes: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 525_600,
      description: 'how long a `mute` lasts or a `kick` keeps the author out (defaults: 60 and 10)',
    }),
  ),
})
export type DecideBody = Static<typeof DecideBody>
