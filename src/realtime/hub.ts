// The realtime hub of one instance: which local sockets follow which rooms, the bus channels
// that bring every instance's messages and events, and what each of them means for the
// sockets. It implements the room services' Announcer port (src/announcer.ts).
//
// Delivery (see the README): the sender's instance stores a message (the store gives the seq),
// then publishes its frame, serialised once, on the room's bus channel (room-channel.ts). Each
// instance with followers of that room hands it to the room's feed (room-feed.ts), which
// delivers in seq order, exactly once per socket, fills gaps from the store and replays a
// socket joining with `since`. Who is online is tracked by room-presence.ts; what concerns a
// user wherever they follow (a read marker) comes on the users channel (user-channel.ts).
import { randomUUID } from 'node:crypto'
import type { Announcer } from '../announcer.ts'
import type { Bus, Unsubscribe } from '../bus/bus.ts'
import { publishOn, subscribeOn } from '../bus/channel.ts'
import type { Logger } from '../logger.ts'
import type { Metrics } from '../metrics.ts'
import type { Presence } from '../presence/presence.ts'
import type { Room } from '../schemas/rooms.ts'
import type { MessageRecord } from '../store/records.ts'
import type { MessageStore } from '../store/store.ts'
import { type RoomEvent, type RoomPayload, roomChannel } from './room-channel.ts'
import { type FeedEvents, RoomFeed } from './room-feed.ts'
import { PresenceTracker, RoomPresence } from './room-presence.ts'
import {
  messageFrame,
  presenceFrame,
  readFrame,
  removedFrame,
  roomFrame,
  typingFrame,
} from './server-frames.ts'
import type { SharedFrame } from './shared-frame.ts'
import { type UserEvent, userChannel } from './user-channel.ts'

/** A socket, as the hub sees it. The gateway implements it over a WebSocket. */
export interface Subscriber {
  readonly userId: string
  readonly sessionId: string
  send(frame: string): void
  /** Writes a message frame encoded once for every socket; counted by the hub, in bulk. */
  deliver(frame: SharedFrame): void
  close(code: number, reason: string): void
}

const SWEEP_MS = 2_000
/** Sessions checked at once by `recheckSessions`: a burst of store reads stays small. */
const RECHECKS_AT_ONCE = 8
/** Quiet rooms read from the store per sweep, in turn (see catchUp). */
const STORE_CHECKS_PER_SWEEP = 2

/** A room followed on this instance. */
class LocalRoom {
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
}

export interface HubStats {
  rooms: number
  sockets: number
  delivered: number
  gapFills: number
}

export class Hub implements Announcer {
  readonly instanceId = randomUUID()
  private readonly rooms = new Map<string, LocalRoom>()
  /** Every local socket, with the rooms it follows. */
  private readonly subscribers = new Map<Subscriber, Set<string>>()
  /** The local sockets of each user (at most WS_MAX_SOCKETS_PER_USER each), for user events. */
  private readonly byUser = new Map<string, Subscriber[]>()
  private readonly presenceTracker: PresenceTracker
  private readonly feedEvents: FeedEvents
  private readonly timer: NodeJS.Timeout
  private readonly stats = { delivered: 0, gapFills: 0 }
  private stopUsers: Unsubscribe | null = null
  /** The quiet room the store check reaches next. */
  private storeTurn = 0

  constructor(
    private readonly bus: Bus,
    private readonly messages: MessageStore,
    presence: Presence,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.presenceTracker = new PresenceTracker(presence, log, {
      changed: (p) => {
        const room = this.rooms.get(p.roomId)
        if (room?.presence === p) this.broadcast(room, presenceFrame(p.roomId, p.online))
      },
      announce: (roomId) => this.publishEvent(roomId, { k: 'presence' }),
    })
    // Counted once per message or fill, never per socket.
    this.feedEvents = {
      delivered: (frame, sockets) => {
        this.stats.delivered += sockets
        this.metrics.tally.framesOut += sockets
        this.metrics.messagesDelivered.inc(sockets)
        this.metrics.deliveryLatency.observe((Date.now() - createdAtOf(frame)) / 1000)
      },
      gapFilled: () => {
        this.stats.gapFills++
        this.metrics.gapFills.inc()
      },
      fillFailed: (room, err) => this.log.warn({ err, room }, 'gap fill failed; will retry'),
    }
    // A resync means the bus lost messages while it was down: catch every room up from the store.
    bus.onResync(() => {
      for (const room of this.rooms.values()) room.feed.fill()
    })
    this.timer = setInterval(() => this.sweep(), SWEEP_MS)
    this.timer.unref()
  }

  /** Listens to the users channel; resolves when listening. */
  async start(): Promise<void> {
    this.stopUsers = await subscribeOn(
      this.bus,
      userChannel,
      (e) => this.onUserEvent(e),
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
   * repeat. Resolves with the seq it is live from and who is online.
   */
  async follow(
    sub: Subscriber,
    roomId: string,
    since?: number,
  ): Promise<{ lastSeq: number; online: string[] }> {
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
    const lastSeq = await room.feed.catchUp(sub, follow)
    return { lastSeq, online: room.presence.online }
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
    clearInterval(this.timer)
    for (const room of [...this.rooms.values()]) this.drop(room)
    void this.stopUsers?.().catch(() => {})
  }

  // ---------------------------------------------------------------- announcing (the Announcer port)

  /** Tells every instance about a stored message. Resolves once published (not delivered). */
  async messageStored(message: MessageRecord): Promise<void> {
    const end = this.metrics.busPublish.startTimer()
    const ch = roomChannel(message.roomId)
    // Marked with its seq: an instance that lost this publish sees the mark ahead of what it
    // delivered at its next sweep, and fills the gap from the store.
    await this.bus.publishMarked(
      ch.name,
      ch.encode({ kind: 'message', seq: message.seq, frame: messageFrame(message) }),
      message.seq,
    )
    end()
  }

  roomChanged(room: Room): Promise<void> {
    return this.publishEvent(room.id, { k: 'room', room })
  }

  memberRemoved(roomId: string, userId: string, reason: 'left' | 'kicked'): Promise<void> {
    return this.publishEvent(roomId, { k: 'left', user: userId, reason })
  }

  roomDeleted(roomId: string): Promise<void> {
    return this.publishEvent(roomId, { k: 'deleted' })
  }

  readMoved(userId: string, roomId: string, seq: number): Promise<void> {
    return publishOn(this.bus, userChannel, { k: 'read', user: userId, room: roomId, seq })
  }

  /** A socket's typing notice, for the room's other followers on every instance. */
  async typing(sub: Subscriber, roomId: string): Promise<void> {
    await this.publishEvent(roomId, { k: 'typing', user: sub.userId })
  }

  // ---------------------------------------------------------------- internals

  private publishEvent(roomId: string, event: RoomEvent): Promise<void> {
    return publishOn(this.bus, roomChannel(roomId), { kind: 'event', event })
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
        (payload) => this.receive(created, payload),
        (err) => this.log.warn({ err, room: roomId }, 'bad room payload'),
      )
      const lastSeq = await this.messages.lastSeq(roomId)
      await this.presenceTracker.load(created.presence)
      created.feed.start(lastSeq)
      const early = created.early ?? []
      created.early = null
      for (const payload of early) this.receive(created, payload)
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

  private receive(room: LocalRoom, payload: RoomPayload): void {
    if (room.early) {
      room.early.push(payload)
      return
    }
    room.lastActivity = Date.now()
    if (payload.kind === 'message') {
      this.metrics.busLag.observe((Date.now() - createdAtOf(payload.frame)) / 1000)
      room.feed.push(payload.seq, payload.frame)
    } else {
      this.onEvent(room, payload.event)
    }
  }

  private onEvent(room: LocalRoom, event: RoomEvent): void {
    switch (event.k) {
      case 'room':
        this.broadcast(room, roomFrame(event.room))
        return
      case 'typing': {
        const frame = typingFrame(room.id, event.user)
        for (const sub of room.followers.keys()) if (sub.userId !== event.user) sub.send(frame)
        return
      }
      case 'presence':
        void this.presenceTracker.refresh(room.presence)
        return
      case 'left': {
        const frame = removedFrame(room.id, event.reason ?? 'left')
        for (const sub of [...room.followers.keys()]) {
          if (sub.userId !== event.user) continue
          sub.send(frame)
          this.unfollow(sub, room.id)
        }
        return
      }
      case 'deleted': {
        this.broadcast(room, removedFrame(room.id, 'deleted'))
        this.drop(room)
        return
      }
    }
  }

  /** A user event: to every local socket of that user (none here: nothing to do). */
  private onUserEvent(event: UserEvent): void {
    const mine = this.byUser.get(event.user)
    if (!mine) return
    switch (event.k) {
      case 'read': {
        const frame = readFrame(event.room, event.seq)
        for (const sub of mine) sub.send(frame)
        return
      }
    }
  }

  private broadcast(room: LocalRoom, frame: string): void {
    for (const sub of room.followers.keys()) sub.send(frame)
  }

  /**
   * Every few seconds, at a cost that does not grow with the rooms followed by a store or
   * presence round trip each: catch up quiet rooms whose publish was lost (one `marks` read for
   * all of them, then a store read only for a room whose mark is ahead), and let the presence
   * tracker refresh its holds and online lists (in batches).
   */
  private sweep(): void {
    const now = Date.now()
    const quiet: LocalRoom[] = []
    const followed: RoomPresence[] = []
    for (const room of [...this.rooms.values()]) {
      if (room.early) continue
      // A join that lost the race with its socket's close (the socket left while the join read
      // the store) leaves a room followed by nobody: drop it, or it stays subscribed and swept
      // forever. Safe here: a follow adds its socket in the same tick as its room became ready.
      if (room.followers.size === 0) {
        this.drop(room)
        continue
      }
      followed.push(room.presence)
      if (room.lastActivity < now - SWEEP_MS / 2) quiet.push(room)
    }
    if (quiet.length > 0) void this.catchUp(quiet)
    this.presenceTracker.sweep(followed)
  }

  /**
   * Quiet rooms: a publish lost with the bus shows as a mark ahead of `delivered`. A message
   * whose sender died between storing and publishing has no mark: a few quiet rooms per sweep,
   * in turn, are also read from the store (a constant cost), and any later message in the room
   * reveals the gap at once anyway.
   */
  private async catchUp(quiet: LocalRoom[]): Promise<void> {
    try {
      const marks = await this.bus.marks(quiet.map((r) => roomChannel(r.id).name))
      for (const [i, room] of quiet.entries()) if (marks[i]! > room.feed.delivered) room.feed.fill()
      for (let k = 0; k < Math.min(STORE_CHECKS_PER_SWEEP, quiet.length); k++) {
        this.storeTurn = (this.storeTurn + 1) % quiet.length
        quiet[this.storeTurn]!.feed.fill()
      }
    } catch (err) {
      this.log.warn({ err }, 'quiet room check failed')
    }
  }
}

/** The rooms of a socket that follows none, shared by all of them (never written to). */
const NO_ROOMS: Set<string> = new Set()

/** The message's createdAt, read from the frame without parsing it all (for latency metrics). */
function createdAtOf(frame: string): number {
  const i = frame.lastIndexOf('"createdAt":"')
  return i < 0 ? Date.now() : Date.parse(frame.slice(i + 13, i + 37))
}
