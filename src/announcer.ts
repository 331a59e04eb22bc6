// The Announcer port: what the room services tell every instance. The realtime layer implements
// it (src/realtime/publisher.ts) and turns each announcement into frames for the sockets
// concerned, on every instance. The services know nothing of sockets, frames or bus channels,
// and the realtime layer nothing of the services: src/rooms and src/realtime may not import each
// other, so the port lives here, where both sides can name it.
//
// Guarantees: each call resolves once the announcement is published to the bus (not delivered);
// announcements of one room from one instance arrive in the order they were made. A stored
// message announced is delivered in seq order, exactly once per socket, even when the
// publish is lost (the receivers fill gaps from the store); the others are at most once.
import type { Room } from './schemas/rooms.ts'
import type { MessageRecord } from './store/records.ts'

/** Why a membership ended: left (another tab), or removed by a moderator (`kicked`, `banned`). */
export type RemovalReason = 'left' | 'kicked' | 'banned'

export interface Announcer {
  /** A message (or update) was stored with the room's next seq: its followers get it. */
  messageStored(message: MessageRecord): Promise<void>
  /** The room's details or member count changed: its followers get its current view. */
  roomChanged(room: Room): Promise<void>
  /** The user's membership ended: their sockets stop following the room, told why. */
  memberRemoved(roomId: string, userId: string, reason: RemovalReason): Promise<void>
  /** The room is gone: its followers are told and stop following it. */
  roomDeleted(roomId: string): Promise<void>
  /** The user's read marker of the room moved: every socket of the user hears it, following the room or not. */
  readMoved(userId: string, roomId: string, seq: number): Promise<void>
}
