// What the bus brings to this instance, from every instance (this one included), turned into
// frames for the local sockets concerned: a room's messages go to its feed (in seq order,
// exactly once), its events to its followers; a user's events to that user's sockets.
import type { Metrics } from '../metrics.ts'
import type { LocalRoom, Subscriber } from './local-room.ts'
import type { RoomEvent, RoomPayload } from './room-channel.ts'
import type { PresenceTracker } from './room-presence.ts'
import { readFrame, removedFrame, roomFrame, typingFrame } from './server-frames.ts'
import type { UserEvent } from './user-channel.ts'

/** What receiving changes in the hub's registry: a socket stops following, a room is gone. */
export interface Registry {
  unfollow(sub: Subscriber, roomId: string): void
  drop(room: LocalRoom): void
  /** The local sockets of a user, none when the user has none here. */
  socketsOf(userId: string): readonly Subscriber[] | undefined
}

export class Receiver {
  constructor(
    private readonly registry: Registry,
    private readonly presence: PresenceTracker,
    private readonly metrics: Pick<Metrics, 'busLag'>,
  ) {}

  /** A payload of a room's channel; held back while the room's feed does not know the store yet. */
  room(room: LocalRoom, payload: RoomPayload): void {
    if (room.early) {
      room.early.push(payload)
      return
    }
    room.lastActivity = Date.now()
    if (payload.kind === 'message') {
      // A message of the version before carries no createdAt: delivered, not timed.
      if (payload.createdAt !== undefined)
        this.metrics.busLag.observe((Date.now() - payload.createdAt) / 1000)
      room.feed.push(payload.seq, payload.frame, payload.createdAt)
    } else {
      this.event(room, payload.event)
    }
  }

  /** A user event: to every local socket of that user (none here: nothing to do). */
  user(event: UserEvent): void {
    const mine = this.registry.socketsOf(event.user)
    if (!mine) return
    switch (event.k) {
      case 'read': {
        const frame = readFrame(event.room, event.seq)
        for (const sub of mine) sub.send(frame)
        return
      }
    }
  }

  private event(room: LocalRoom, event: RoomEvent): void {
    switch (event.k) {
      case 'room':
        room.broadcast(roomFrame(event.room))
        return
      case 'typing': {
        const frame = typingFrame(room.id, event.user)
        for (const sub of room.followers.keys()) if (sub.userId !== event.user) sub.send(frame)
        return
      }
      case 'presence':
        void this.presence.refresh(room.presence)
        return
      case 'left': {
        const frame = removedFrame(room.id, event.reason ?? 'left')
        for (const sub of [...room.followers.keys()]) {
          if (sub.userId !== event.user) continue
          sub.send(frame)
          this.registry.unfollow(sub, room.id)
        }
        return
      }
      case 'deleted': {
        room.broadcast(removedFrame(room.id, 'deleted'))
        this.registry.drop(room)
        return
      }
    }
  }
}
