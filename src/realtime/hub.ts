// The realtime hub of one instance: which local sockets follow which rooms, and in-order,
// exactly-once delivery to them of what any instance stores.
//
// Delivery (see the README): the sender's instance stores a message (the store gives the seq),
// then publishes its frame, serialised once, on the room's bus channel. Each instance with
// followers of that room delivers frames strictly in seq order: a frame ahead of the next
// expected seq waits while the gap is filled from the store (a publish lost with Redis, or a
// sender that died between storing and publishing). Every socket remembers the last seq it was
// sent, so nothing reaches it twice, and a socket joining with `since` is replayed from the
// store before it goes live.
import { randomUUID } from 'node:crypto'
import type { Bus, Unsubscribe } from '../bus/bus.ts'
import { publishOn, subscribeOn } from '../bus/channel.ts'
import type { Logger } from '../logger.ts'
import type { Metrics } from '../metrics.ts'
import type { Presence } from '../presence/presence.ts'
import { messageFrame } from '../rooms/views.ts'
import type { MessageRecord } from '../store/records.ts'
import type { MessageStore } from '../store/store.ts'
import { type RoomEvent, type RoomPayload, roomChannel } from './room-channel.ts'
import { presenceFrame, readFrame, removedFrame, roomFrame, typingFrame } from './server-frames.ts'

/** A socket, as the hub sees it. The gateway implements it over a WebSocket. */
export interface Subscriber {
  readonly userId: string
  readonly sessionId: string
  send(frame: string): void
  /** Writes a message frame encoded once for every socket; counted by the hub, in bulk. */
  deliver(frame: string | Buffer): void
  close(code: number, reason: string): void
}

export type { RoomEvent }

interface Follow {
  live: boolean
  /** The seq of the last message this socket was sent in this room. */
  lastSent: number
}

const REPLAY_BATCH = 500
const GAP_WAIT_MS = 100
const SWEEP_MS = 2_000
/** Presence holds are refreshed every 3 sweeps (6 s; they live 15 s). */
const HOLD_EVERY = 3
/** Holds that expired elsewhere (a dead instance) are noticed every 5 sweeps (10 s). */
const ONLINE_EVERY = 5
/** Quiet rooms read from the store per sweep, in turn (see catchUp). */
const STORE_CHECKS_PER_SWEEP = 2

class LocalRoom {
  readonly followers = new Map<Subscriber, Follow>()
  /** Sockets per user, for presence. */
  readonly users = new Map<string, number>()
  /** The seq up to which this instance delivered, in order, with no gap. */
  delivered = 0
  readonly pending = new Map<number, string>()
  /** Bus payloads that came before `delivered` was known. */
  early: RoomPayload[] | null = []
  ready!: Promise<void>
  unsubscribe: Unsubscribe | null = null
  filling: Promise<void> | null = null
  gapTimer: NodeJS.Timeout | null = null
  lastActivity = Date.now()
  online: string[] = []
  constructor(readonly id: string) {}
}

export interface HubStats {
  rooms: number
  sockets: number
  delivered: number
  gapFills: number
}

export class Hub {
  readonly instanceId = randomUUID()
  private readonly rooms = new Map<string, LocalRoom>()
  private readonly subscribers = new Map<Subscriber, Set<string>>()
  private readonly timer: NodeJS.Timeout
  private readonly stats = { delivered: 0, gapFills: 0 }
  private sweeps = 0
  /** The quiet room the store check reaches next. */
  private storeTurn = 0

  constructor(
    private readonly bus: Bus,
    private readonly messages: MessageStore,
    private readonly presence: Presence,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    // A resync means the bus lost messages while it was down: catch every room up from the store.
    bus.onResync(() => {
      for (const room of this.rooms.values()) this.fill(room)
    })
    this.timer = setInterval(() => this.sweep(), SWEEP_MS)
    this.timer.unref()
  }

  // ---------------------------------------------------------------- sockets

  attach(sub: Subscriber): void {
    // No set of its own until it follows a room: most sockets of an idle instance follow none.
    this.subscribers.set(sub, NO_ROOMS)
  }

  /** The socket is gone: it follows nothing any more. */
  detach(sub: Subscriber): void {
    const joined = this.subscribers.get(sub)
    this.subscribers.delete(sub)
    for (const roomId of joined ?? []) this.unfollow(sub, roomId)
  }

  followed(sub: Subscriber): number {
    return this.subscribers.get(sub)?.size ?? 0
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
    if (!joined) return { lastSeq: room.delivered, online: room.online } // closed meanwhile
    if (joined === NO_ROOMS) {
      joined = new Set()
      this.subscribers.set(sub, joined)
    }
    let follow = room.followers.get(sub)
    const isNew = follow === undefined
    if (!follow) {
      // Without `since`, live from now; with it, nothing live until the replay caught up.
      follow = { live: since === undefined, lastSent: since ?? room.delivered }
      room.followers.set(sub, follow)
      joined.add(roomId)
    } else if (since !== undefined) {
      follow.live = false
      follow.lastSent = since
    }
    if (isNew) await this.addUser(room, sub.userId)
    if (!follow.live) {
      // A `since` beyond what exists (a client's bad memory) would silence the room for it.
      if (follow.lastSent > room.delivered)
        follow.lastSent = Math.min(follow.lastSent, await this.messages.lastSeq(roomId))
      await this.replay(room, sub, follow)
    }
    return { lastSeq: follow.lastSent, online: room.online }
  }

  /** Stops live delivery of a room to a socket. */
  unfollow(sub: Subscriber, roomId: string): void {
    this.subscribers.get(sub)?.delete(roomId)
    const room = this.rooms.get(roomId)
    if (!room?.followers.delete(sub)) return
    void this.removeUser(room, sub.userId)
    if (room.followers.size === 0) this.drop(room)
  }

  /** Closes the sockets of these sessions (revoked), or every socket of a user. */
  closeSessions(sessionIds: Set<string>, code: number, reason: string): void {
    for (const sub of [...this.subscribers.keys()]) if (sessionIds.has(sub.sessionId)) sub.close(code, reason)
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
  }

  // ---------------------------------------------------------------- publishing

  /** Tells every instance about a stored message. Resolves once published (not delivered). */
  async publish(message: MessageRecord): Promise<void> {
    const end = this.metrics.busPublish.startTimer()
    // Marked with its seq: an instance that lost this publish sees the mark ahead of what it
    // delivered at its next sweep, and fills the gap from the store.
    await this.bus.publishMarked(
      channel(message.roomId),
      roomChannel(message.roomId).encode({ kind: 'message', seq: message.seq, frame: messageFrame(message) }),
      message.seq,
    )
    end()
  }

  async publishEvent(roomId: string, event: RoomEvent): Promise<void> {
    await publishOn(this.bus, roomChannel(roomId), { kind: 'event', event })
  }

  /** Whether this instance follows the room (for typing notices: no need to publish otherwise). */
  async typing(sub: Subscriber, roomId: string): Promise<void> {
    await this.publishEvent(roomId, { k: 'typing', user: sub.userId })
  }

  // ---------------------------------------------------------------- internals

  private localRoom(roomId: string): LocalRoom {
    let room = this.rooms.get(roomId)
    if (room) return room
    const created = new LocalRoom(roomId)
    room = created
    this.rooms.set(roomId, created)
    created.ready = (async () => {
      // Subscribe first, then read where the store is: whatever is published from now on is
      // either at most `delivered` (dropped) or after it (delivered in order).
      created.unsubscribe = await subscribeOn(
        this.bus,
        roomChannel(roomId),
        (payload) => this.receive(created, payload),
        (err) => this.log.warn({ err, room: roomId }, 'bad room payload'),
      )
      created.delivered = await this.messages.lastSeq(roomId)
      created.online = await this.presence.online(roomId)
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
    if (room.gapTimer) clearTimeout(room.gapTimer)
    for (const sub of room.followers.keys()) this.subscribers.get(sub)?.delete(room.id)
    room.followers.clear()
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
      this.deliver(room, payload.seq, payload.frame)
    } else {
      this.onEvent(room, payload.event)
    }
  }

  private deliver(room: LocalRoom, seq: number, frame: string): void {
    if (seq <= room.delivered) return
    if (seq > room.delivered + 1) {
      room.pending.set(seq, frame)
      room.gapTimer ??= setTimeout(() => {
        room.gapTimer = null
        this.fill(room)
      }, GAP_WAIT_MS)
      return
    }
    this.emit(room, seq, frame)
    for (
      let next = room.pending.get(room.delivered + 1);
      next !== undefined;
      next = room.pending.get(room.delivered + 1)
    ) {
      room.pending.delete(room.delivered + 1)
      this.emit(room, room.delivered + 1, next)
    }
    if (room.pending.size === 0 && room.gapTimer) {
      clearTimeout(room.gapTimer)
      room.gapTimer = null
    }
  }

  private emit(room: LocalRoom, seq: number, frame: string): void {
    room.delivered = seq
    // Encoded to UTF-8 once for all the sockets (a string would be encoded again per socket).
    const bytes = room.followers.size > 1 ? Buffer.from(frame) : frame
    let sockets = 0
    for (const [sub, follow] of room.followers) {
      if (follow.live && seq === follow.lastSent + 1) {
        follow.lastSent = seq
        sub.deliver(bytes)
        sockets++
      }
    }
    this.stats.delivered += sockets
    if (sockets > 0) {
      this.metrics.tally.framesOut += sockets
      this.metrics.messagesDelivered.inc(sockets)
      this.metrics.deliveryLatency.observe((Date.now() - createdAtOf(frame)) / 1000)
    }
  }

  /** Delivers from the store whatever this instance has not delivered yet. One fill at a time. */
  private fill(room: LocalRoom): void {
    if (room.filling || room.early) return
    room.filling = (async () => {
      try {
        for (;;) {
          const batch = await this.messages.range(room.id, { after: room.delivered, limit: REPLAY_BATCH })
          if (batch.length > 0) {
            this.stats.gapFills++
            this.metrics.gapFills.inc()
          }
          for (const m of batch) if (m.seq === room.delivered + 1) this.deliver(room, m.seq, messageFrame(m))
          if (batch.length < REPLAY_BATCH) break
        }
        for (const seq of room.pending.keys()) if (seq <= room.delivered) room.pending.delete(seq)
      } catch (err) {
        this.log.warn({ err, room: room.id }, 'gap fill failed; will retry')
      } finally {
        room.filling = null
      }
      if (room.pending.size > 0 && this.rooms.get(room.id) === room) {
        room.gapTimer ??= setTimeout(() => {
          room.gapTimer = null
          this.fill(room)
        }, GAP_WAIT_MS)
      }
    })()
  }

  /**
   * Sends a socket the stored messages after its `lastSent`, then makes it live. The check that
   * it caught up with this instance's deliveries and the switch to live happen in one tick, so
   * no live message can fall between the replay and live delivery.
   */
  private async replay(room: LocalRoom, sub: Subscriber, follow: Follow): Promise<void> {
    for (;;) {
      if (follow.lastSent >= room.delivered) {
        follow.live = true
        return
      }
      const batch = await this.messages.range(room.id, { after: follow.lastSent, limit: REPLAY_BATCH })
      if (!room.followers.has(sub)) return
      const before = follow.lastSent
      for (const m of batch) {
        if (m.seq !== follow.lastSent + 1) break
        sub.send(messageFrame(m))
        follow.lastSent = m.seq
      }
      if (follow.lastSent === before) {
        follow.live = true // the store has nothing more (the room was deleted meanwhile)
        return
      }
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
        void this.refreshOnline(room)
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
      case 'read': {
        const frame = readFrame(room.id, event.seq)
        for (const sub of room.followers.keys()) if (sub.userId === event.user) sub.send(frame)
        return
      }
      case 'deleted': {
        this.broadcast(room, removedFrame(room.id, 'deleted'))
        this.drop(room)
        return
      }
    }
  }

  private broadcast(room: LocalRoom, frame: string): void {
    for (const sub of room.followers.keys()) sub.send(frame)
  }

  private async addUser(room: LocalRoom, userId: string): Promise<void> {
    const n = room.users.get(userId) ?? 0
    room.users.set(userId, n + 1)
    if (n > 0) return
    await this.presence.hold([{ room: room.id, user: userId }])
    // Local followers learn it now (and `joined.online` includes the user); others by the event.
    await this.refreshOnline(room)
    await this.publishEvent(room.id, { k: 'presence' })
  }

  private async removeUser(room: LocalRoom, userId: string): Promise<void> {
    const n = (room.users.get(userId) ?? 1) - 1
    if (n > 0) {
      room.users.set(userId, n)
      return
    }
    room.users.delete(userId)
    try {
      await this.presence.release(room.id, userId)
      await this.refreshOnline(room)
      await this.publishEvent(room.id, { k: 'presence' })
    } catch (err) {
      this.log.warn({ err }, 'presence release failed')
    }
  }

  private async refreshOnline(room: LocalRoom): Promise<void> {
    try {
      this.setOnline(room, await this.presence.online(room.id))
    } catch (err) {
      this.log.warn({ err }, 'presence read failed')
    }
  }

  private setOnline(room: LocalRoom, online: string[]): void {
    if (online.join() === room.online.join()) return
    room.online = online
    this.broadcast(room, presenceFrame(room.id, online))
  }

  /**
   * Every few seconds, at a cost that does not grow with the rooms followed by a store or
   * presence round trip each: catch up quiet rooms whose publish was lost (one `marks` read for
   * all of them, then a store read only for a room whose mark is ahead), refresh this instance's
   * presence holds (one batch), and notice holds that expired elsewhere (one batch).
   */
  private sweep(): void {
    const now = Date.now()
    const quiet: LocalRoom[] = []
    for (const room of [...this.rooms.values()]) {
      if (room.early) continue
      // A join that lost the race with its socket's close (the socket left while the join read
      // the store) leaves a room followed by nobody: drop it, or it stays subscribed and swept
      // forever. Safe here: a follow adds its socket in the same tick as its room became ready.
      if (room.followers.size === 0) {
        this.drop(room)
        continue
      }
      if (room.lastActivity < now - SWEEP_MS / 2) quiet.push(room)
    }
    if (quiet.length > 0) void this.catchUp(quiet)
    this.sweeps++
    if (this.sweeps % HOLD_EVERY === 0) {
      const holds: { room: string; user: string }[] = []
      for (const room of this.rooms.values())
        for (const user of room.users.keys()) holds.push({ room: room.id, user })
      this.presence.hold(holds).catch((err) => this.log.warn({ err }, 'presence refresh failed'))
    }
    if (this.sweeps % ONLINE_EVERY === 0) void this.refreshAllOnline()
  }

  /**
   * Quiet rooms: a publish lost with the bus shows as a mark ahead of `delivered`. A message
   * whose sender died between storing and publishing has no mark: a few quiet rooms per sweep,
   * in turn, are also read from the store (a constant cost), and any later message in the room
   * reveals the gap at once anyway.
   */
  private async catchUp(quiet: LocalRoom[]): Promise<void> {
    try {
      const marks = await this.bus.marks(quiet.map((r) => channel(r.id)))
      for (const [i, room] of quiet.entries()) if (marks[i]! > room.delivered) this.fill(room)
      for (let k = 0; k < Math.min(STORE_CHECKS_PER_SWEEP, quiet.length); k++) {
        this.storeTurn = (this.storeTurn + 1) % quiet.length
        this.fill(quiet[this.storeTurn]!)
      }
    } catch (err) {
      this.log.warn({ err }, 'quiet room check failed')
    }
  }

  private async refreshAllOnline(): Promise<void> {
    const rooms = [...this.rooms.values()].filter((r) => !r.early)
    if (rooms.length === 0) return
    try {
      const online = await this.presence.onlineMany(rooms.map((r) => r.id))
      for (const [i, room] of rooms.entries()) this.setOnline(room, online[i]!)
    } catch (err) {
      this.log.warn({ err }, 'presence read failed')
    }
  }
}

/** The rooms of a socket that follows none, shared by all of them (never written to). */
const NO_ROOMS: Set<string> = new Set()

const channel = (roomId: string) => roomChannel(roomId).name

/** The message's createdAt, read from the frame without parsing it all (for latency metrics). */
function createdAtOf(frame: string): number {
  const i = frame.lastIndexOf('"createdAt":"')
  return i < 0 ? Date.now() : Date.parse(frame.slice(i + 13, i + 37))
}
