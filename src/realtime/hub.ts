// The realtime hub of one instance: which local sockets follow which rooms, and the bus
// subscriptions that follow each room for them. What comes over the bus is the receiver's
// (receiver.ts), what this instance tells the others the publisher's (publisher.ts, the room
// services' Announcer port), and the periodic repair the sweep's (sweep.ts).
//
// Delivery (docs/design/delivery.md): the sender's instance stores a message (the store gives the seq),
// then publishes its frame, serialised once, on the room's bus channel (room-channel.ts). Each
// instance with followers of that room hands it to the room's feed (room-feed.ts), which
// delivers in seq order, exactly once per socket, fills gaps from the store and replays a
// socket joining with `since`. Who is online is tracked by room-presence.ts; what concerns a
// user wherever they follow (a read marker) comes on the users channel (user-channel.ts).
import { randomUUID } from 'node:crypto'
import type { Bus, Unsubscribe } from '../bus/bus.ts'
import { subscribeOn } from '../bus/channel.ts'
import type { Logger } from '../logger.ts'
import type { Metrics } from '../metrics.ts'
import type { Presence } from '../presence/presence.ts'
import type { MessageStore } from '../store/store.ts'
import { LocalRoom, type Subscriber } from './local-room.ts'
import type { Publisher } from './publisher.ts'
import { Receiver } from './receiver.ts'
import { roomChannel } from './room-channel.ts'
import type { CaughtUp, FeedEvents, ReplayAllowance } from './room-feed.ts'
import { PresenceTracker } from './room-presence.ts'
import { presenceFrame } from './server-frames.ts'
import { Sweep } from './sweep.ts'
import { userChannel } from './user-channel.ts'

/** Sessions checked at once by `recheckSessions`: a burst of store reads stays small. */
const RECHECKS_AT_ONCE = 8

export interface HubStats {
  rooms: number
  sockets: number
  delivered: number
  gapFills: number
}

export class Hub {
  readonly instanceId = randomUUID()
  private readonly rooms = new Map<string, LocalRoom>()
  /** Every local socket, with the rooms it follows. */
  private readonly subscribers = new Map<Subscriber, Set<string>>()
  /** The local sockets of each user (at most WS_MAX_SOCKETS_PER_USER each), for user events. */
  private readonly byUser = new Map<string, Subscriber[]>()
  private readonly presenceTracker: PresenceTracker
  private readonly feedEvents: FeedEvents
  private readonly receiver: Receiver
  private readonly sweep: Sweep
  private readonly stats = { delivered: 0, gapFills: 0 }
  private stopUsers: Unsubscribe | null = null

  constructor(
    private readonly bus: Bus,
    private readonly messages: MessageStore,
    presence: Presence,
    private readonly publisher: Publisher,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.presenceTracker = new PresenceTracker(presence, log, {
      changed: (p) => {
        const room = this.rooms.get(p.roomId)
        if (room?.presence === p) room.broadcast(presenceFrame(p.roomId, p.online))
      },
      announce: (roomId) => this.publisher.presenceChanged(roomId),
    })
    // Counted once per message or fill, never per socket.
    this.feedEvents = {
      delivered: (_frame, sockets, createdAt) => {
        this.stats.delivered += sockets
        this.metrics.tally.framesOut += sockets
        this.metrics.messagesDelivered.inc(sockets)
        // A frame from an instance of the version before carries no createdAt: not timed.
        if (createdAt !== undefined) this.metrics.deliveryLatency.observe((Date.now() - createdAt) / 1000)
      },
      gapFilled: () => {
        this.stats.gapFills++
        this.metrics.gapFills.inc()
      },
      fillFailed: (room, err) => this.log.warn({ err, room }, 'gap fill failed; will retry'),
    }
    this.receiver = new Receiver(
      {
        unfollow: (sub, roomId) => this.unfollow(sub, roomId),
        drop: (room) => this.drop(room),
        socketsOf: (userId) => this.byUser.get(userId),
      },
      this.presenceTracker,
      metrics,
    )
    // A resync means the bus lost messages while it was down: catch every room up from the store.
    bus.onResync(() => {
      for (const room of this.rooms.values()) room.feed.fill()
    })
    this.sweep = new Sweep(bus, log, this.presenceTracker, {
      list: () => this.rooms.values(),
      drop: (room) => this.drop(room),
    })
  }

  /** Listens to the users channel; resolves when listening. */
  async start(): Promise<void> {
    this.stopUsers = await subscribeOn(
      this.bus,
      userChannel,
      (e) => this.receiver.user(e),
      (err) => this.log.warn({ err }, 'bad user payload'),
    )
  }

  // ---------------------------------------------------------------- sockets

  attach(sub: Subscriber): void {
    // No set of its own until it follows a room: most sockets of an idle instance follow none.
    this.subscribers.set(sub, NO_ROOMS)
    const mine = this.byUser.get(sub.userId)
    if (mine) mine.push(sub)
    else this.byUser.set(sub.userId, [sub])
  }

  /** The socket is gone: it follows nothing any more. */
  detach(sub: Subscriber): void {
    const joined = this.subscribers.get(sub)
    if (!joined) return
    this.subscribers.delete(sub)
    const mine = this.byUser.get(sub.userId)
    if (mine) {
      const i = mine.indexOf(sub)
      if (i >= 0) mine.splice(i, 1)
      if (mine.length === 0) this.byUser.delete(sub.userId)
    }
    for (const roomId of joined) this.unfollow(sub, roomId)
  }

  /** The rooms the socket follows (live or being replayed). Not to be changed by the caller. */
  followedRooms(sub: Subscriber): ReadonlySet<string> {
    return this.subscribers.get(sub) ?? NO_ROOMS
  }

  isFollowing(sub: Subscriber, roomId: string): boolean {
    return this.subscribers.get(sub)?.has(roomId) ?? false
  }

  /**
   * Starts live delivery of a room to a socket (membership is the caller's check). With `since`,
   * every stored message after it is sent first, in order; then live ones, with no gap and no
   * repeat (unless `allow` refuses the replay: then `skipped` says what was not sent). Resolves
   * with the seq it is live from and who is online.
   */
  async follow(
    sub: Subscriber,
    roomId: string,
    since?: number,
    allow?: ReplayAllowance,
  ): Promise<CaughtUp & { online: string[] }> {
    const room = this.localRoom(roomId)
    await room.ready
    let joined = this.subscribers.get(sub)
    if (!joined) return { lastSeq: room.feed.delivered, online: room.presence.online } // closed meanwhile
    if (joined === NO_ROOMS) {
      joined = new Set()
      this.subscribers.set(sub, joined)
    }
    const { follow, isNew } = room.feed.add(sub, since)
    if (isNew) {
      joined.add(roomId)
      await this.presenceTracker.add(room.presence, sub.userId)
    }
    const caught = await room.feed.catchUp(sub, follow, allow)
    return { ...caught, online: room.presence.online }
  }

  /** Stops live delivery of a room to a socket. */
  unfollow(sub: Subscriber, roomId: string): void {
    this.subscribers.get(sub)?.delete(roomId)
    const room = this.rooms.get(roomId)
    if (!room?.feed.remove(sub)) return
    void this.presenceTracker.remove(room.presence, sub.userId)
    if (room.followers.size === 0) this.drop(room)
  }

  /** Closes the sockets of these sessions (revoked). */
  closeSessions(sessionIds: Set<string>, code: number, reason: string): void {
    for (const sub of [...this.subscribers.keys()]) if (sessionIds.has(sub.sessionId)) sub.close(code, reason)
  }

  /**
   * Asks `isLive` about every session held open here (a few at a time) and closes the sockets
   * of those that are not: for when revocations may have been missed. A session the store cannot
   * answer for stays open (the next revocation or check tells).
   */
  async recheckSessions(
    isLive: (sessionId: string, userId: string) => Promise<boolean>,
    code: number,
    reason: string,
  ): Promise<void> {
    const held = new Map<string, string>()
    for (const sub of this.subscribers.keys()) held.set(sub.sessionId, sub.userId)
    const queue = [...held]
    const worker = async () => {
      for (let next = queue.pop(); next; next = queue.pop()) {
        const [sessionId, userId] = next
        if (!(await isLive(sessionId, userId).catch(() => true)))
          this.closeSessions(new Set([sessionId]), code, reason)
      }
    }
    await Promise.all(Array.from({ length: RECHECKS_AT_ONCE }, worker))
  }

  closeAll(code: number, reason: string): void {
    for (const sub of [...this.subscribers.keys()]) sub.close(code, reason)
  }

  socketCount(): number {
    return this.subscribers.size
  }

  snapshot(): HubStats {
    return { rooms: this.rooms.size, sockets: this.subscribers.size, ...this.stats }
  }

  close(): void {
    this.sweep.stop()
    for (const room of [...this.rooms.values()]) this.drop(room)
    void this.stopUsers?.().catch(() => {})
  }

  /** A socket's typing notice, for the room's other followers on every instance. */
  typing(sub: Subscriber, roomId: string): Promise<void> {
    return this.publisher.typing(roomId, sub.userId)
  }

  private localRoom(roomId: string): LocalRoom {
    let room = this.rooms.get(roomId)
    if (room) return room
    const created = new LocalRoom(roomId, this.messages, this.feedEvents)
    room = created
    this.rooms.set(roomId, created)
    created.ready = (async () => {
      // Subscribe first, then read where the store is: whatever is published from now on is
      // either at most that seq (dropped) or after it (delivered in order).
      created.unsubscribe = await subscribeOn(
        this.bus,
        roomChannel(roomId),
        (payload) => this.receiver.room(created, payload),
        (err) => this.log.warn({ err, room: roomId }, 'bad room payload'),
      )
      const lastSeq = await this.messages.lastSeq(roomId)
      await this.presenceTracker.load(created.presence)
      created.feed.start(lastSeq)
      const early = created.early ?? []
      created.early = null
      for (const payload of early) this.receiver.room(created, payload)
    })()
    created.ready.catch((err) => {
      this.log.error({ err, room: roomId }, 'could not follow a room')
      this.drop(created)
    })
    return created
  }

  private drop(room: LocalRoom): void {
    if (this.rooms.get(room.id) !== room) return
    this.rooms.delete(room.id)
    for (const sub of room.followers.keys()) this.subscribers.get(sub)?.delete(room.id)
    room.feed.close()
    const off = room.unsubscribe
    if (off) void off().catch((err) => this.log.warn({ err }, 'unsubscribe failed'))
    else void room.ready?.then(() => room.unsubscribe?.()).catch(() => {})
  }
}

/** The rooms of a socket that follows none, shared by all of them (never written to). */
const NO_ROOMS: Set<string> = new Set()
