// The wire schemas of invitation lineage and freezes.
import { type Static, type TSchema, Type } from 'typebox'
import { Id } from './common.ts'
import { AdminUserView, Inviter } from './users.ts'

export const MAX_DEPTH = 10
/** Users one invitees answer shows at most (the root included); past it `truncated` is true. */
export const MAX_TREE_NODES = 5000

export const InviteesParams = Type.Object({ id: Id })
export const InviteesQuery = Type.Object({
  depth: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_DEPTH,
      default: 1,
      description: 'how many levels below the user to show (1..10)',
    }),
  ),
})
export type InviteesQuery = Static<typeof InviteesQuery>

const nodeFields = {
  user: AdminUserView,
  invitedBy: Inviter,
  more: Type.Optional(
    Type.Integer({
      minimum: 1,
      description:
        'on the deepest level shown: how many users this one invited (a lower bound when `truncated`); absent when none',
    }),
  ),
}
/** What each user of the tree says of themselves (beside `children`). */
export const InviteeFields = Type.Object(nodeFields)
export type InviteeFields = Static<typeof InviteeFields>

/** One user of the tree and the users they invited. */
export type InviteeNode = InviteeFields & { children: InviteeNode[] }

/** A node with `levels` levels of children below it, the deepest with none. */
function node(levels: number): TSchema {
  const children = levels === 0 ? Type.Array(Type.Unknown(), { maxItems: 0 }) : Type.Array(node(levels - 1))
  return Type.Object({ ...nodeFields, children })
}

export const InviteesAnswer = Type.Intersect(
  [
    node(MAX_DEPTH),
    Type.Object({
      total: Type.Integer({ description: 'users in the answer, the root included' }),
      truncated: Type.Boolean({ description: `true when more than ${MAX_TREE_NODES} users were left out` }),
    }),
  ],
  { title: 'Invitees' },
)
export type InviteesAnswer = InviteeNode & { total: number; truncated: boolean }

export const FreezeBody = Type.Object(
  {
    subtree: Type.Optional(
      Type.Boolean({ description: 'also everyone below the user in the invitation tree, at every depth' }),
    ),
    revokeCodes: Type.Optional(
      Type.Boolean({ description: 'revoke every usable code the frozen users minted or hold' }),
    ),
    minutes: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 525_600,
        description: 'mute everywhere for this long instead of banning (sessions are kept)',
      }),
    ),
  },
  { additionalProperties: false },
)
export type FreezeBody = Static<typeof FreezeBody>

export const FreezeAnswer = Type.Object(
  {
    frozen: Type.Array(Id, { description: 'the users banned or muted, the root first' }),
    skipped: Type.Array(Id, {
      description: 'admins (and the admin acting) below the root: never frozen by a subtree',
    }),
    codesRevoked: Type.Integer(),
    mutedUntil: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { title: 'Freeze' },
)
export type FreezeAnswer = Static<typeof FreezeAnswer>
