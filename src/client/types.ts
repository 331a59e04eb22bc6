// The wire types, derived from the server's TypeBox schemas with Static<> (type-only imports:
// nothing of TypeBox reaches a browser bundle).
import type { Static } from 'typebox'
import type * as common from '../schemas/common.ts'
import type * as frames from '../schemas/frames.ts'
import type * as users from '../schemas/users.ts'

export type {
  ActivationCodesBody,
  CodesQuery,
  CodeView,
  InviteCodesBody,
  NewCode,
} from '../schemas/codes.ts'
export type { ClientFrame, ServerFrame } from '../schemas/frames.ts'
export type {
  CreateRoomBody,
  HistoryQuery,
  Member,
  Message,
  Room,
  RoomsQuery,
  SendBody,
} from '../schemas/rooms.ts'
export type { LoginBody, OwnUser, ProfilePatch, PublicUser, RegisterBody } from '../schemas/users.ts'

export type AckFrame = Static<typeof frames.AckFrame>
export type ErrorFrame = Static<typeof frames.ErrorFrame>
export type JoinedFrame = Static<typeof frames.JoinedFrame>
export type MessageFrame = Static<typeof frames.MessageFrame>
export type PongFrame = Static<typeof frames.PongFrame>
export type PresenceFrame = Static<typeof frames.PresenceFrame>
export type RemovedFrame = Static<typeof frames.RemovedFrame>
export type RoomFrame = Static<typeof frames.RoomFrame>
export type TypingNotice = Static<typeof frames.TypingNotice>

export type AuthAnswer = Static<typeof users.AuthAnswer>
export type WsTicket = Static<typeof users.WsTicket>
export type ErrorBody = Static<typeof common.ErrorBody>

/** A page of a list: `{items, nextCursor}`. */
export type PageOf<T> = Omit<Static<ReturnType<typeof common.Page>>, 'items'> & { items: T[] }
