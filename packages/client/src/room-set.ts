// The rooms a ChatSocket follows: for each, its ordered stream (RoomStream), whether `joined`
// came on the current connection, the joins waiting for it, and the watch on a gap the server
// has not filled. The socket writes frames; this decides which and delivers messages.
//
// A replay the server bounded (`joined` with `skipped`) is read from history instead, page by
// page, before the join counts as answered: its messages are delivered in order, then what
// came live meanwhile (held by the stream until then).
import { ChatError, ClientCodes, isTemporary, messageOf } from './errors.ts'
import { RoomStream, type StreamEvent } from './room-stream.ts'
import type { ClientFrame, JoinedFrame, Message } from './wire.ts'

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
  /** The history read of a skipped replay under way, if any (a token: a newer read replaces it). */
  paging: object | null
}

/** A page of a room's history after a seq, oldest first (`GET /api/rooms/:id/messages?after=`). */
export type HistoryAfter = (
  room: string,
  after: number,
) => Promise<{ items: Message[]; nextCursor: string | null }>

export interface RoomSetHooks {
  /** Writes a frame if the connection is open (dropped otherwise: a reconnect re-joins). */
  write(frame: ClientFrame): void
  /** A message or an update, in seq order, once. */
  deliver(event: StreamEvent): void
  /** A join was answered: `joined`, and any skipped part read from history. */
  joined(frame: JoinedFrame): void
  /** Reads a skipped replay; without it, the app is left to read it (the `joined` event says what). */
  history?: HistoryAfter | undefined
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
        paging: null,
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
      // The re-join on the next connection says afresh what is skipped, from where the pages got to.
      entry.paging = null
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

  /** Ignored when the room is not followed (a late answer). */
  onJoined(frame: JoinedFrame): void {
    const entry = this.rooms.get(frame.room)
    if (!entry) return
    entry.refusals = 0
    entry.paging = null
    for (const m of entry.stream.joined(frame.lastSeq)) this.hooks.deliver(m)
    if (frame.skipped) {
      entry.stream.skipping(frame.skipped.through)
      if (this.hooks.history) return void this.readSkipped(frame.room, entry, frame, frame.skipped.through)
      for (const m of entry.stream.skipped(frame.skipped.through)) this.hooks.deliver(m)
    }
    this.answered(frame.room, entry, frame)
  }

  private answered(room: string, entry: RoomEntry, frame: JoinedFrame): void {
    entry.joined = frame
    for (const w of entry.waiters.splice(0)) {
      clearTimeout(w.timer)
      w.resolve(frame)
    }
    this.watchGap(room, entry)
    this.hooks.joined(frame)
  }

  /**
   * Reads the part of the room the server did not replay from history, page by page, delivering
   * its messages in order; then the join is answered. A failure that passes is tried again after
   * a growing delay; any other one (no longer a member, the room gone) ends following the room.
   * A lost connection ends the read: the re-join says afresh what is skipped, from where it got.
   */
  private async readSkipped(
    room: string,
    entry: RoomEntry,
    frame: JoinedFrame,
    through: number,
  ): Promise<void> {
    const read = {}
    entry.paging = read
    const current = () => this.rooms.get(room) === entry && entry.paging === read
    for (let failures = 0; ; ) {
      const after = entry.stream.lastSeq ?? 0
      if (after >= through) break
      let page: Awaited<ReturnType<HistoryAfter>>
      try {
        page = await this.hooks.history!(room, after)
      } catch (err) {
        if (!current()) return
        const error = err instanceof ChatError ? err : new ChatError(ClientCodes.NETWORK, messageOf(err))
        if (!isTemporary(error)) return this.forget(room, entry, error)
        await new Promise((resolve) => setTimeout(resolve, this.hooks.retryDelay(failures++)))
        if (!current()) return
        continue
      }
      if (!current()) return
      failures = 0
      for (const m of entry.stream.fill(page.items, through)) this.hooks.deliver(m)
      const last = page.items.at(-1)?.seq
      // The rest of the part, if any, is edits and reactions: shown in the messages read.
      if (page.nextCursor === null || last === undefined || last >= through || last <= after) break
    }
    entry.paging = null
    for (const m of entry.stream.skipped(through)) this.hooks.deliver(m)
    this.answered(room, entry, frame)
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
    if (!entry) return false
    if (error.code === 'JOIN_IN_PROGRESS') {
      // A join sent while one ran (a re-join, or a join just after a leave): the one that runs
      // answers, or else this one, tried again after a while, does.
      if (!entry.joined && !entry.paging) this.retryLater(room, entry)
      return true
    }
    if (entry.joined || entry.paging) return false
    if (entry.waiters.length > 0) {
      this.forget(room, entry, error)
      return true
    }
    if (!isTemporary(error)) {
      this.forget(room, entry, error)
      return false
    }
    this.retryLater(room, entry)
    return true
  }

  private retryLater(room: string, entry: RoomEntry): void {
    if (entry.retryTimer) return
    entry.retryTimer = setTimeout(
      () => {
        entry.retryTimer = null
        if (this.rooms.get(room) === entry && !entry.joined && !entry.paging) this.sendJoin(room, entry)
      },
      this.hooks.retryDelay(entry.refusals++),
    )
  }

  private sendJoin(room: string, entry: RoomEntry): void {
    const since = entry.stream.lastSeq
    this.hooks.write(since === null ? { type: 'join', room } : { type: 'join', room, since })
  }

  private forget(room: string, entry: RoomEntry, error: ChatError): void {
    this.rooms.delete(room)
    entry.paging = null
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
    // While a skipped part is read from history, the gap is that part: no re-join.
    if (!entry.stream.hasGap || entry.paging) {
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
