// The audit log's wire schemas: the entry, the page query, the action names.
import { type Static, Type } from 'typebox'
import { Id, PageQuery, Time } from './common.ts'

/**
 * Every action the log records: the contract's names, plus `room.unban` (lifting a room ban),
 * and the integrations' (`bot.*`, `webhook.*`).
 * An action only ever joins this list: old entries keep their names.
 */
export const AuditAction = Type.Union(
  [
    Type.Literal('code.mint'),
    Type.Literal('code.revoke'),
    Type.Literal('user.role'),
    Type.Literal('user.ban'),
    Type.Literal('user.unban'),
    Type.Literal('user.freeze'),
    Type.Literal('user.reset-link'),
    Type.Literal('room.kick'),
    Type.Literal('room.mute'),
    Type.Literal('room.ban'),
    Type.Literal('room.unban'),
    Type.Literal('message.delete'),
    Type.Literal('message.pin'),
    Type.Literal('message.unpin'),
    Type.Literal('report.decide'),
    Type.Literal('bot.create'),
    Type.Literal('bot.rotate'),
    Type.Literal('webhook.create'),
    Type.Literal('webhook.delete'),
    Type.Literal('integration.create'),
    Type.Literal('integration.delete'),
  ],
  { description: 'what was done' },
)
export type AuditAction = Static<typeof AuditAction>

const UserRefShort = Type.Object({ id: Id, username: Type.String() })
const RoomRefShort = Type.Object({ id: Id, name: Type.String() })

export const AuditEntry = Type.Object(
  {
    id: Id,
    at: Time,
    actor: UserRefShort,
    action: AuditAction,
    target: Type.Union([UserRefShort, RoomRefShort, Type.Null()], {
      description: 'the user acted on, a room, or null (codes minted)',
    }),
    details: Type.Record(Type.String(), Type.Unknown(), {
      description: 'what else the action was about: its room, minutes, role, codes',
    }),
  },
  { title: 'AuditEntry' },
)
export type AuditEntry = Static<typeof AuditEntry>

export const AuditQuery = Type.Intersect([
  PageQuery,
  Type.Object({
    actor: Type.Optional(Id),
    action: Type.Optional(AuditAction),
    target: Type.Optional(Id),
  }),
])
export type AuditQuery = Static<typeof AuditQuery>
