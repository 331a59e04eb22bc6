// The wire types the pages use, all from the client package.
export type { CodeView, Message, NewCode, OwnUser, PageOf, PublicUser, Room } from '@roomchat/client'
// A wall post: the client package does not export it yet, so it comes from the same schema.
export type { Post } from '../../src/schemas/posts.ts'
