import { type Static, Type } from 'typebox'
import { Id, PageQuery, Time } from './common.ts'

export const CodeType = Type.Union([Type.Literal('invite'), Type.Literal('activation')])
export const CodeStatus = Type.Union([
  Type.Literal('unused'),
  Type.Literal('used'),
  Type.Literal('expired'),
  Type.Literal('revoked'),
])

/** A code as an admin sees it in lists: never the plain code, which only its creation shows. */
export const CodeView = Type.Object(
  {
    id: Id,
    type: CodeType,
    hint: Type.String({ description: 'the first characters of the plain code' }),
    status: CodeStatus,
    maxUses: Type.Integer(),
    uses: Type.Integer(),
    vipDays: Type.Union([Type.Integer(), Type.Null()]),
    expiresAt: Type.Union([Time, Type.Null()]),
    revokedAt: Type.Union([Time, Type.Null()]),
    createdAt: Time,
  },
  { title: 'Code' },
)
export type CodeView = Static<typeof CodeView>

export const NewCode = Type.Intersect([CodeView, Type.Object({ code: Type.String() })])
export type NewCode = Static<typeof NewCode>

export const InviteCodesBody = Type.Object({
  count: Type.Integer({ minimum: 1, maximum: 500 }),
  maxUses: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 1 })),
  expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
  for: Type.Optional(
    Type.String({
      pattern: '^[0-9a-f]{24}$',
      description:
        'a member to mint the codes for, to hand out: whoever registers with one is recorded as invited by that member (404 for an unknown user)',
    }),
  ),
})
export type InviteCodesBody = Static<typeof InviteCodesBody>

export const ActivationCodesBody = Type.Object({
  count: Type.Integer({ minimum: 1, maximum: 500 }),
  vipDays: Type.Integer({ minimum: 1, maximum: 3650 }),
  expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
})
export type ActivationCodesBody = Static<typeof ActivationCodesBody>

export const CodesQuery = Type.Intersect([
  PageQuery,
  Type.Object({ type: Type.Optional(CodeType), status: Type.Optional(CodeStatus) }),
])
export type CodesQuery = Static<typeof CodesQuery>

/** `POST /api/me/invite-codes`: a member's own codes, one use each, counted against MEMBER_INVITES_PER_DAY. */
export const MemberCodesBody = Type.Object(
  { count: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, default: 1 })) },
  { additionalProperties: false },
)
export type MemberCodesBody = Static<typeof MemberCodesBody>
