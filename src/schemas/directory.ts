import { type Static, Type } from 'typebox'
import { PageQuery } from './common.ts'
import { PublicUser } from './users.ts'

export const UsersQuery = Type.Intersect([
  PageQuery,
  Type.Object({
    q: Type.Optional(
      Type.String({
        maxLength: 64,
        description: 'a prefix of the username or the display name, case-insensitive, taken literally',
      }),
    ),
  }),
])
export type UsersQuery = Static<typeof UsersQuery>

export const PublicUserAnswer = Type.Object({ user: PublicUser })
