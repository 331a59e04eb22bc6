// The rooms a ChatSocket follows: for each, its ordered stream (RoomStream), whether `joined`
// came on the current connection, the joins waiting for it, and the watch on a gap the server
// has not filled. The socket writes frames; this decides which and delivers messages.
import { ChatError, ClientCodes, isTemporary } from './errors.ts'
import { RoomStream, type StreamEvent } from './room-stream.ts'
import type { ClientFrame, JoinedFrame } from './wire.ts'

interface Waiter {
  resolve: (frame: JoinedFrame) => void
  reject: (err: ChatError) => void
  timer: ReturnType<typeof setTimeout>
}

interface RoomEntry {
  stream: RoomStream<StreamEvent>
  /** `joined` received on the current connection. */
  joined: JoinedFrame | null
  waiters: Waiter[]
  gapTimer: ReturnType<typeof setTimeout> | null
  /** A refused re-join waiting to be tried again, and how many times it was refused. */
  retryTimer: ReturnType<typeof setTimeout> | null
  refusals: number
}

export interface RoomSetHooks {
  /** Writes a frame if the connection is open (dropped otherwise: a reconnect re-joins). */
  write(frame: ClientFrame): void
  /** A message or an update, in seq order, once. */
  deliver(event: StreamEvent): void
  gapTimeoutMs: number
  /** How long to wait before re-joining after a temporary refusal, by refusals so far (from 0). */
  retryDelay(refusals: number): number
}

export class RoomSet {
  private readonly rooms = new Map<string, RoomEntry>()

  constructor(private readonly hooks: RoomSetHooks) {}

  get names(): string[] {
    return [...this.rooms.keys()]
  }

  /** Whether the room's `joined` came on the current connection. */
  isJoined(room: string): boolean {
    const entry = this.rooms.get(room)
    return entry !== undefined && entry.joined !== null
  }

  lastSeq(room: string): number | null {
    return this.rooms.get(room)?.stream.lastSeq ?? null
  }

  /** Follows a room (if not yet) and resolves with its `joined`. */
  join(room: string, since: number | undefined, timeoutMs: number): Promise<JoinedFrame> {
    let entry = this.rooms.get(room)
    if (entry?.joined) return Promise.resolve(entry.joined)
    const fresh = !entry
    if (!entry) {
      entry = {
        stream: new RoomStream<StreamEvent>(since),
        joined: null,
        waiters: [],
        gapTimer: null,
        retryTimer: null,
        refusals: 0,
      }
      this.rooms.set(room, entry)
    }
    const target = entry
    const answered = new Promise<JoinedFrame>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = target.waiters.indexOf(waiter)
          if (i >= 0) target.waiters.splice(i, 1)
          reject(new ChatError(ClientCodes.TIMEOUT, `no answer to join ${room}`))
        }, timeoutMs),
      }
      target.waiters.push(waiter)
    })
    if (fresh) this.sendJoin(room, entry)
    return answered
  }

  /** Stops following a room; true when it was followed. */
  leave(room: string, error: ChatError): boolean {
    const entry = this.rooms.get(room)
    if (!entry) return false
    this.forget(room, entry, error)
    return true
  }

  /** A new connection opened: join every room again from the last seq delivered. */
  rejoinAll(): void {
    for (const [room, entry] of this.rooms) this.sendJoin(room, entry)
  }

  /** The connection ended: nothing is joined on the next one until it says so. */
  unjoinAll(): void {
    for (const entry of this.rooms.values()) {
      entry.joined = null
      if (entry.gapTimer) clearTimeout(entry.gapTimer)
      entry.gapTimer = null
      // The next connection re-joins every room anyway.
      if (entry.retryTimer) clearTimeout(entry.retryTimer)
      entry.retryTimer = null
    }
  }

  /** Stopping for good: every waiting join is rejected; the rooms stay listed (lastSeq still answers). */
  rejectAll(error: ChatError): void {
    for (const entry of this.rooms.values()) {
      for (const w of entry.waiters.splice(0)) {
        clearTimeout(w.timer)
        w.reject(error)
      }
    }
    this.unjoinAll()
  }

  onMessage(message: StreamEvent): void {
    const entry = this.rooms.get(message.room)
    if (!entry) return // left meanwhile
    for (const m of entry.stream.push(message)) this.hooks.deliver(m)
    this.watchGap(message.room, entry)
  }

  /** Returns false when the room is not followed (a late answer). */
  onJoined(frame: JoinedFrame): boolean {
    const entry = this.rooms.get(frame.room)
    if (!entry) return false
    entry.joined = frame
    entry.refusals = 0
    for (const m of entry.stream.joined(frame.lastSeq)) this.hooks.deliver(m)
    for (const w of entry.waiters.splice(0)) {
      clearTimeout(w.timer)
      w.resolve(frame)
    }
    this.watchGap(frame.room, entry)
    return true
  }

  /**
   * An error frame about a room being joined: the join is refused. A join someone waits for is
   * rejected with it. A re-join after a reconnect (nobody waits for it) would otherwise leave the
   * room silent on this connection: a temporary refusal is tried again after a growing delay,
   * any other one ends following the room. False when the frame should reach the app as an
   * `error` event: it answers no join, or it ends a re-join.
   */
  failJoin(room: string, error: ChatError): boolean {
    const entry = this.rooms.get(room)
    if (!entry || entry.joined) return false
    if (entry.waiters.length > 0) {
      this.forget(room, entry, error)
      return true
    }
    if (!isTemporary(error)) {
      this.forget(room, entry, error)
      return false
    }
    if (entry.retryTimer) return true
    entry.retryTimer = setTimeout(
      () => {
        entry.retryTimer = null
        if (this.rooms.get(room) === entry && !entry.joined) this.sendJoin(room, entry)
      },
      this.hooks.retryDelay(entry.refusals++),
    )
    return true
  }

  private sendJoin(room: string, entry: RoomEntry): void {
    const since = entry.stream.lastSeq
    this.hooks.write(since === null ? { type: 'join', room } : { type: 'join', room, since })
  }

  private forget(room: string, entry: RoomEntry, error: ChatError): void {
    this.rooms.delete(room)
    if (entry.gapTimer) clearTimeout(entry.gapTimer)
    if (entry.retryTimer) clearTimeout(entry.retryTimer)
    for (const w of entry.waiters.splice(0)) {
      clearTimeout(w.timer)
      w.reject(error)
    }
  }

  /**
   * The server fills gaps itself; if one stays open (the server lost track), re-join the room
   * with `since` = the last seq delivered: the replay fills it, repeats are dropped.
   */
  private watchGap(room: string, entry: RoomEntry): void {
    if (!entry.stream.hasGap) {
      if (entry.gapTimer) clearTimeout(entry.gapTimer)
      entry.gapTimer = null
      return
    }
    if (entry.gapTimer) return
    entry.gapTimer = setTimeout(() => {
      entry.gapTimer = null
      if (this.rooms.get(room) !== entry || !entry.stream.hasGap) return
      // Not joined on this connection yet: the join under way replays from `since` anyway.
      if (entry.joined) this.sendJoin(room, entry)
      this.watchGap(room, entry)
    }, this.hooks.gapTimeoutMs)
  }
}
