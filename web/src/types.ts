// The wire types the pages use, all from the client package.
export type { CodeView, Message, NewCode, OwnUser, PageOf, Post, PublicUser, Room } from '@roomchat/client'
