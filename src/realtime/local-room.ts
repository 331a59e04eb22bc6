// A room followed on this instance, and the socket as everything in src/realtime sees it: the
// shapes the hub (the registry), the receiver (bus payloads) and the sweep share.
import type { Unsubscribe } from '../bus/bus.ts'
import type { MessageStore } from '../store/store.ts'
import type { RoomPayload } from './room-channel.ts'
import { type FeedEvents, RoomFeed } from './room-feed.ts'
import { RoomPresence } from './room-presence.ts'
import type { SharedFrame } from './shared-frame.ts'

/** A socket, as the hub sees it. The gateway implements it over a WebSocket. */
export interface Subscriber {
  readonly userId: string
  readonly sessionId: string
  send(frame: string): void
  /** Writes a message frame encoded once for every socket; counted by the hub, in bulk. */
  deliver(frame: SharedFrame): void
  close(code: number, reason: string): void
}

export class LocalRoom {
  readonly feed: RoomFeed<Subscriber>
  readonly presence: RoomPresence
  /** Bus payloads that came before the feed knew where the store was. */
  early: RoomPayload[] | null = []
  ready!: Promise<void>
  unsubscribe: Unsubscribe | null = null
  lastActivity = Date.now()
  constructor(
    readonly id: string,
    messages: MessageStore,
    events: FeedEvents,
  ) {
    this.feed = new RoomFeed(id, messages, events)
    this.presence = new RoomPresence(id)
  }

  get followers() {
    return this.feed.followers
  }

  /** A frame for every local follower of the room. */
  broadcast(frame: string): void {
    for (const sub of this.followers.keys()) sub.send(frame)
  }
}
