// The bus channel `users`: what a user's sockets must hear on every instance, whatever rooms
// they follow (today: a read marker that moved, so reading on one tab clears the badge on the
// others). One channel for all users, each payload naming its user, encoded and decoded here
// only. Every instance listens to it from its start, so there is no SUBSCRIBE per connecting
// user (a reconnect storm after an instance's death would be one per user) and no moment in
// which a new socket's subscription is not confirmed yet. The price: every instance hears every
// event and drops those of users it has no socket of (a map lookup), which is fine for events
// as rare as a read marker moving.
import { type Channel, jsonChannel } from '../bus/channel.ts'

export type UserEvent =
  /** The user's read marker of the room moved to `seq`. */
  { k: 'read'; user: string; room: string; seq: number }

export const userChannel: Channel<UserEvent> = jsonChannel<UserEvent>('users')
