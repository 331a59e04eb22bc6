import { type Static, Type } from 'typebox'
import { Id, PageQuery, Time } from './common.ts'
import { UserRef } from './users.ts'

export const HOME_WALL = 'home'
export const POST_MAX = 2000

/** 1..2000 Unicode code points (ajv counts code points), not only whitespace. */
export const PostText = Type.String({
  minLength: 1,
  maxLength: POST_MAX,
  pattern: '\\S',
  description: '1..2000 Unicode code points, not only whitespace',
})

export const PostBody = Type.Object({ text: PostText })
export type PostBody = Static<typeof PostBody>

export const Wall = Type.Union([Type.Literal(HOME_WALL), Id], {
  description: '"home" for the home page wall, else the id of the user whose wall it is',
})

export const Post = Type.Object(
  {
    id: Id,
    wall: Wall,
    author: UserRef,
    text: Type.String(),
    createdAt: Time,
  },
  { title: 'Post' },
)
export type Post = Static<typeof Post>

export const PostAnswer = Type.Object({ post: Post })

export const WallQuery = PageQuery
export type WallQuery = Static<typeof WallQuery>
