// One client's socket, as the server serves it: frame limits, validation and dispatch of what
// the client sends, and the hub's Subscriber for what it is sent. Framework-free: the gateway
// hands it text frames and a SocketTransport; it answers with frames or a close code.
import { Compile } from 'typebox/compile'
import { AppError, type ErrorCode } from '../errors.ts'
import type { Logger } from '../logger.ts'
import type { Metrics } from '../metrics.ts'
import { ClientFrame, CloseCodes } from '../schemas/frames.ts'
import type { Hub } from './hub.ts'
import type { Subscriber } from './local-room.ts'
import { loopHeldSince } from './loop-clock.ts'
import { ackFrame, errorFrame, joinedFrame, PONG, removedFrame } from './server-frames.ts'
import type { SharedFrame } from './shared-frame.ts'

const checkFrame = Compile(ClientFrame)

/** What a ClientSocket writes to: its WebSocket, for the gateway (plugins/ws-transport.ts). */
export interface SocketTransport {
  /** A text frame for this socket alone. */
  send(text: string): void
  /** A text frame written to many sockets: encoded by the first, written as is by the rest. */
  write(frame: SharedFrame): void
  close(code: number, reason: string): void
  /** Bytes queued and not yet written to the network. */
  bufferedAmount(): number
}

export interface SocketLimits {
  maxFrameBytes: number
  framesPerSecond: number
  maxBufferedBytes: number
  /** Bad frames tolerated within `badFrameWindowMs` before the connection is closed with 1008. */
  maxBadFrames: number
  /** The sliding window of the bad-frame budget: an old mistake is forgiven. */
  badFrameWindowMs: number
  /** Rooms one connection may follow at once. */
  maxRooms: number
  /** Events one `join {since}` replays at most; past that its `joined` says `skipped`. */
  maxReplayEvents: number
  /** Events replayed to this socket per minute, all its joins together (bursts of that many). */
  replayEventsPerMinute: number
}

/** What a socket asks of the chat services (ChatService provides it). */
export interface ChatCalls {
  /** Rejects with an AppError: 404 for no such room, 403 NOT_MEMBER. */
  requireMember(roomId: string, userId: string): Promise<void>
  /** Loads what a send in the room checks, ahead of the first one. */
  warm(userId: string, roomId: string): Promise<void>
  /** Stores a message (or finds the one with this clientMsgId) and announces it. */
  send(
    userId: string,
    roomId: string,
    text: string,
    clientMsgId: string,
    replyTo?: number,
  ): Promise<{ message: { id: string; seq: number; createdAt: Date } }>
}

/** The membership as the store has it now (RoomService provides it). */
export interface MembershipCheck {
  isMember(roomId: string, userId: string): Promise<boolean>
}

export interface ClientSocketDeps {
  hub: Hub
  rooms: MembershipCheck
  chat: ChatCalls
  log: Logger
  limits: SocketLimits
  /** Sends in flight anywhere on this instance, so a drain can wait for their acks. */
  inflight: Set<Promise<unknown>>
  metrics: Pick<Metrics, 'tally'>
}

/** A join under way: `left` once a `leave` of its room came meanwhile. */
interface JoinSlot {
  left: boolean
}

const TYPING_INTERVAL_MS = 2_000
/** What a peer's frames make us log: one line per kind per 10 s per connection, at most. */
const LOG_INTERVAL_MS = 10_000

export class ClientSocket implements Subscriber {
  private closed = false
  /** When the bad frames within the window arrived, oldest first. */
  private badFrames: number[] = []
  private readonly logged = new Map<string, { at: number; suppressed: number }>()
  private tokens: number
  private lastRefill = Date.now()
  /** The replay budget (events), refilled at `replayEventsPerMinute`. */
  private replayTokens: number
  private replayRefill = Date.now()
  // Created on first use: most sockets sit idle, and each holds only what it uses.
  private lastTyping: Map<string, number> | null = null
  private sending: Promise<void> | null = null
  /** The rooms whose join is under way, each with that join's slot. */
  private joins: Map<string, JoinSlot> | null = null

  constructor(
    readonly userId: string,
    readonly sessionId: string,
    private readonly transport: SocketTransport,
    private readonly deps: ClientSocketDeps,
  ) {
    this.tokens = deps.limits.framesPerSecond * 2
    this.replayTokens = deps.limits.replayEventsPerMinute
    deps.hub.attach(this)
  }

  /** Writes a frame; a socket that cannot keep up is closed, to resume with `since` later. */
  send(frame: string): void {
    this.deps.metrics.tally.framesOut++
    if (this.keepsUp()) this.transport.send(frame)
  }

  /** The fan-out's write: nothing but the slow-socket check and the write (the hub counts). */
  deliver(frame: SharedFrame): void {
    if (this.keepsUp()) this.transport.write(frame)
  }

  /** False when closed, or too slow (then closed, to resume with `since` later). */
  private keepsUp(): boolean {
    if (this.closed) return false
    if (this.transport.bufferedAmount() <= this.deps.limits.maxBufferedBytes) return true
    this.close(CloseCodes.SLOW, 'too slow: reconnect and join with since')
    return false
  }

  close(code: number, reason: string): void {
    if (this.closed) return
    this.closed = true
    this.deps.hub.detach(this)
    this.transport.close(code, reason)
  }

  /** The transport closed by itself (the peer left, or the network broke). */
  gone(): void {
    if (this.closed) return
    this.closed = true
    this.deps.hub.detach(this)
  }

  receive(data: string | Buffer, isBinary = false): void {
    if (this.closed) return
    this.deps.metrics.tally.framesIn++
    const { limits } = this.deps
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length
    if (size > limits.maxFrameBytes) return this.close(CloseCodes.POLICY, 'frame too large')
    if (!this.takeToken()) return this.close(CloseCodes.POLICY, 'too many frames')
    if (isBinary) return this.bad('frames are JSON text')
    let frame: unknown
    try {
      frame = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'))
    } catch {
      return this.bad('not JSON')
    }
    if (!checkFrame.Check(frame)) {
      const ref = refOf(frame)
      const first = checkFrame.Errors(frame)[0]
      return this.bad(first ? `${first.instancePath || 'frame'} ${first.message}` : 'unknown frame', ref)
    }
    this.dispatch(frame)
  }

  private dispatch(frame: ClientFrame): void {
    switch (frame.type) {
      case 'ping':
        return this.send(PONG)
      case 'join': {
        // One join of a room at a time: two replays of a room interleaving on one socket would
        // send messages twice, and queued ones would let a client that re-joins in a loop make
        // the server replay the room again and again. A join while one runs is refused.
        const room = frame.room
        this.joins ??= new Map()
        if (this.joins.has(room))
          return this.error('JOIN_IN_PROGRESS', 'A join of this room is under way: wait for its joined', room)
        const slot: JoinSlot = { left: false }
        this.joins.set(room, slot)
        void this.join(room, frame.since, slot)
        return
      }
      case 'leave': {
        // A join still under way ends without following the room, whichever step it is at.
        const slot = this.joins?.get(frame.room)
        if (slot) slot.left = true
        this.deps.hub.unfollow(this, frame.room)
        return
      }
      case 'typing':
        return void this.typing(frame.room)
      case 'send': {
        // One after the other: a client's messages get seqs in the order it sent them.
        const p = (this.sending ?? Promise.resolve()).then(() =>
          this.sendMessage(frame.room, frame.clientMsgId, frame.text, frame.replyTo),
        )
        this.sending = p
        this.deps.inflight.add(p)
        void p.finally(() => this.deps.inflight.delete(p))
        return
      }
    }
  }

  private async join(roomId: string, since: number | undefined, slot: JoinSlot): Promise<void> {
    /** The join is over once its `joined` is written: another may begin. */
    const done = () => {
      if (this.joins?.get(roomId) === slot) this.joins.delete(roomId)
    }
    try {
      const followed = this.deps.hub.followedRooms(this)
      if (!followed.has(roomId) && followed.size >= this.deps.limits.maxRooms) {
        throw new AppError(429, 'RATE_LIMITED', `At most ${this.deps.limits.maxRooms} rooms per connection`)
      }
      await this.deps.chat.requireMember(roomId, this.userId)
      await this.deps.chat.warm(this.userId, roomId)
      if (slot.left) return
      const { lastSeq, online, skipped } = await this.deps.hub.follow(this, roomId, since, (events) =>
        this.takeReplay(events),
      )
      // Left (or removed) while the join ran: the leave answered it, and a `joined` now would
      // read as the answer to a join sent after the leave.
      if (slot.left) this.deps.hub.unfollow(this, roomId)
      if (!this.deps.hub.isFollowing(this, roomId)) return
      // Sent in the tick the socket went live: `joined` separates the replay from live messages.
      this.send(joinedFrame(roomId, lastSeq, online, skipped))
      done()
      // A leave that landed between the membership check and the follow was announced before
      // this socket followed the room: check once more, now that later leaves reach it.
      if (!(await this.deps.rooms.isMember(roomId, this.userId)) && this.deps.hub.isFollowing(this, roomId)) {
        this.deps.hub.unfollow(this, roomId)
        this.send(removedFrame(roomId, 'left'))
      }
    } catch (err) {
      this.fail(err, roomId)
    } finally {
      done()
    }
  }

  private async typing(roomId: string): Promise<void> {
    // Only while following the room, and at most every two seconds: it is a hint, not a message.
    // Anything else is dropped without an answer: an error naming the room would read as the
    // refusal of a join still under way (the client would give that join up), and a notice
    // for a room one does not follow is of no use to anyone.
    if (!this.deps.hub.isFollowing(this, roomId)) return
    const now = Date.now()
    this.lastTyping ??= new Map()
    if (now - (this.lastTyping.get(roomId) ?? 0) < TYPING_INTERVAL_MS) return
    this.lastTyping.set(roomId, now)
    await this.deps.hub
      .typing(this, roomId)
      .catch((err) => this.deps.log.warn({ err }, 'typing publish failed'))
  }

  private async sendMessage(
    roomId: string,
    clientMsgId: string,
    text: string,
    replyTo?: number,
  ): Promise<void> {
    try {
      const { message } = await this.deps.chat.send(this.userId, roomId, text, clientMsgId, replyTo)
      this.send(ackFrame(clientMsgId, message.id, message.seq, message.createdAt))
    } catch (err) {
      this.fail(err, clientMsgId)
    }
  }

  private fail(err: unknown, ref: string): void {
    if (err instanceof AppError && err.statusCode < 500) return this.error(err.code, err.message, ref)
    // A peer can provoke this at will: a short line, no stack, rate-limited.
    const e = err instanceof Error ? err : new Error(String(err))
    this.note('warn', { userId: this.userId, error: e.name, detail: e.message }, 'socket request failed')
    this.error('INTERNAL', 'Something went wrong; try again', ref)
  }

  private error(code: ErrorCode, message: string, ref?: string): void {
    this.send(errorFrame(code, message, ref))
  }

  private bad(message: string, ref?: string): void {
    const { maxBadFrames, badFrameWindowMs } = this.deps.limits
    const now = Date.now()
    this.badFrames.push(now)
    while (this.badFrames[0]! <= now - badFrameWindowMs) this.badFrames.shift()
    this.note('debug', { userId: this.userId, reason: message }, 'bad frame')
    if (this.badFrames.length > maxBadFrames) return this.close(CloseCodes.POLICY, 'too many bad frames')
    this.error('BAD_FRAME', message, ref)
  }

  /** Logs one line of this kind unless one went out in the last LOG_INTERVAL_MS (then counts it). */
  private note(level: 'debug' | 'warn', fields: object, msg: string): void {
    const now = Date.now()
    const last = this.logged.get(msg)
    if (last && now - last.at < LOG_INTERVAL_MS) {
      last.suppressed++
      return
    }
    this.deps.log[level]({ ...fields, suppressed: last?.suppressed ?? 0 }, msg)
    this.logged.set(msg, { at: now, suppressed: 0 })
  }

  /**
   * A token bucket: `framesPerSecond`, bursts of twice that, by when the frames arrived. Frames
   * read after the event loop was held up (loop-clock.ts) arrived during the hold: the bucket
   * refills for that time without its cap, as it would have while they came in one by one, and
   * is capped again once the loop runs freely. A client that paced itself under the rate is
   * not closed because the server was busy; one that flooded meanwhile still is.
   */
  private takeToken(): boolean {
    const { framesPerSecond } = this.deps.limits
    const now = Date.now()
    const cap = framesPerSecond * 2
    const perMs = framesPerSecond / 1000
    const held = loopHeldSince(now)
    if (held === null) {
      this.tokens = Math.min(cap, this.tokens + (now - this.lastRefill) * perMs)
    } else {
      // The cap bounds what accrued while the loop ran freely, not what the hold gave: a batch
      // read frame by frame keeps what its first frame found.
      const from = Math.max(held, this.lastRefill)
      const free = Math.max(this.tokens, Math.min(cap, this.tokens + (from - this.lastRefill) * perMs))
      this.tokens = free + (now - from) * perMs
    }
    this.lastRefill = now
    if (this.tokens < 1) return false
    this.tokens--
    return true
  }

  /**
   * Whether a replay of `events` may run: at most `maxReplayEvents`, and within the socket's
   * replay budget, which it then uses up. Refused, the join answers `skipped` and replays nothing.
   */
  private takeReplay(events: number): boolean {
    const { maxReplayEvents, replayEventsPerMinute } = this.deps.limits
    const now = Date.now()
    this.replayTokens = Math.min(
      replayEventsPerMinute,
      this.replayTokens + ((now - this.replayRefill) / 60_000) * replayEventsPerMinute,
    )
    this.replayRefill = now
    if (events > maxReplayEvents || events > this.replayTokens) return false
    this.replayTokens -= events
    return true
  }
}

/** The clientMsgId (or room) of a frame that failed validation, to echo as `ref`. */
function refOf(frame: unknown): string | undefined {
  if (typeof frame !== 'object' || frame === null) return undefined
  const f = frame as Record<string, unknown>
  const ref =
    typeof f.clientMsgId === 'string' ? f.clientMsgId : typeof f.room === 'string' ? f.room : undefined
  return ref && ref.length <= 64 ? ref : undefined
}
