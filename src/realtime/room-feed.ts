// One room's stream on one instance: its stored messages (and updates) delivered to the local
// sockets that follow the room, in seq order, exactly once each.
//
// Guarantees (test/realtime/room-feed.test.ts checks them against a fake message store):
// - Frames may be pushed in any order, twice, or not at all (a publish lost with the bus, or a
//   sender that died between storing and publishing): a frame ahead of the next expected seq
//   waits while the gap is filled from the store, so the feed moves on strictly seq by seq.
// - Every follower remembers the last seq it was sent: nothing reaches it twice, nothing is
//   skipped.
// - A follower added with `since` is sent every stored message after it (the replay), and goes
//   live in the same tick in which it caught up, so no live frame falls between the replay and
//   live delivery.
// - Per message, the frame is serialised and encoded once for all followers (SharedFrame), and
//   the only work per follower is its seq check and the write; counting happens once per
//   message (FeedEvents).
import type { MessageStore } from '../store/store.ts'
import { messageFrame } from './server-frames.ts'
import { SharedFrame } from './shared-frame.ts'

/** A socket as a feed sees it. */
export interface FeedFollower {
  /** A frame for this socket alone (a replayed message). */
  send(frame: string): void
  /** A live message frame, serialised and encoded once for every follower. */
  deliver(frame: SharedFrame): void
}

/** What a feed reads from the store. */
export type FeedStore = Pick<MessageStore, 'lastSeq' | 'range'>

/** What a feed reports, once per message or fill, never per follower. */
export interface FeedEvents {
  /**
   * `frame` was written to `sockets` live followers (more than zero). `createdAt` is its record's
   * (epoch ms), unknown for a frame from an instance of the version before.
   */
  delivered(frame: string, sockets: number, createdAt: number | undefined): void
  /** A batch of messages the bus had not brought was read from the store. */
  gapFilled(roomId: string): void
  /** A fill failed; it is tried again GAP_WAIT_MS later while frames wait. */
  fillFailed(roomId: string, err: unknown): void
}

export interface Follow {
  /** False while a replay runs: live frames pass it by, the replay sends them. */
  live: boolean
  /** The seq of the last message this follower was sent. */
  lastSent: number
}

/** Asked whether a replay of this many events may run (and, if so, counts them). */
export type ReplayAllowance = (events: number) => boolean
const ALLOW_ALL: ReplayAllowance = () => true

export interface CaughtUp {
  /** The seq the follower is live from. */
  lastSeq: number
  /** Set when the replay was refused: the events in `(after, through]` were not sent. */
  skipped?: { after: number; through: number }
}

export const REPLAY_BATCH = 500
/** How long a frame ahead of a gap waits for the missing ones before the store is asked. */
export const GAP_WAIT_MS = 100

export class RoomFeed<F extends FeedFollower> {
  readonly followers = new Map<F, Follow>()
  /** The seq up to which this instance delivered, in order, with no gap. */
  delivered = 0
  /** Frames that came ahead of a gap, by seq, with their records' createdAt. */
  private readonly pending = new Map<number, { frame: string; createdAt: number | undefined }>()
  private gapTimer: NodeJS.Timeout | null = null
  private filling: Promise<void> | null = null
  /** Until `start`, where the store is is not known: nothing is delivered or filled. */
  private started = false
  private closed = false

  constructor(
    readonly roomId: string,
    private readonly store: FeedStore,
    private readonly events: FeedEvents,
  ) {}

  /** Where the store was when the bus subscription was confirmed: deliveries continue after it. */
  start(lastSeq: number): void {
    this.delivered = lastSeq
    this.started = true
  }

  /**
   * A message's frame, from the bus or the store: delivered now, or once its gap is filled.
   * `createdAt` (the record's, epoch ms) is for the latency metrics only.
   */
  push(seq: number, frame: string, createdAt?: number): void {
    if (this.closed || seq <= this.delivered) return
    if (seq > this.delivered + 1) {
      this.pending.set(seq, { frame, createdAt })
      this.fillSoon()
      return
    }
    this.emit(seq, frame, createdAt)
    for (
      let next = this.pending.get(this.delivered + 1);
      next !== undefined;
      next = this.pending.get(this.delivered + 1)
    ) {
      this.pending.delete(this.delivered + 1)
      this.emit(this.delivered + 1, next.frame, next.createdAt)
    }
    if (this.pending.size === 0 && this.gapTimer) {
      clearTimeout(this.gapTimer)
      this.gapTimer = null
    }
  }

  /** Delivers from the store whatever this instance has not delivered yet. One fill at a time. */
  fill(): void {
    if (this.filling || !this.started || this.closed) return
    this.filling = (async () => {
      try {
        for (;;) {
          const batch = await this.store.range(this.roomId, { after: this.delivered, limit: REPLAY_BATCH })
          if (batch.length > 0) this.events.gapFilled(this.roomId)
          for (const m of batch)
            if (m.seq === this.delivered + 1) this.push(m.seq, messageFrame(m), m.createdAt.getTime())
          if (batch.length < REPLAY_BATCH) break
        }
        for (const seq of this.pending.keys()) if (seq <= this.delivered) this.pending.delete(seq)
      } catch (err) {
        this.events.fillFailed(this.roomId, err)
      } finally {
        this.filling = null
      }
      if (this.pending.size > 0) this.fillSoon()
    })()
  }

  /**
   * Adds a follower, live from now, or from `since` once replayed (`catchUp`). A follower
   * already there with `since` goes back to it.
   */
  add(follower: F, since?: number): { follow: Follow; isNew: boolean } {
    let follow = this.followers.get(follower)
    if (!follow) {
      // Without `since`, live from now; with it, nothing live until the replay caught up.
      follow = { live: since === undefined, lastSent: since ?? this.delivered }
      this.followers.set(follower, follow)
      return { follow, isNew: true }
    }
    if (since !== undefined) {
      follow.live = false
      follow.lastSent = since
    }
    return { follow, isNew: false }
  }

  /**
   * Replays a follower that is not live yet and makes it live; resolves with the seq it is live
   * from. `allow` is asked how many events the replay would send (the stream has no gaps: the
   * seqs between); refused, nothing is replayed, the follower goes live from here and `skipped`
   * says what it missed, for the client to page through history.
   */
  async catchUp(follower: F, follow: Follow, allow: ReplayAllowance = ALLOW_ALL): Promise<CaughtUp> {
    if (!follow.live) {
      // A `since` beyond what exists (a client's bad memory) would silence the room for it.
      if (follow.lastSent > this.delivered)
        follow.lastSent = Math.min(follow.lastSent, await this.store.lastSeq(this.roomId))
      // Decided and made live in one tick, as a replay's end is: no live frame falls between.
      const backlog = this.delivered - follow.lastSent
      if (backlog > 0 && !allow(backlog)) {
        const after = follow.lastSent
        follow.lastSent = this.delivered
        follow.live = true
        return { lastSeq: follow.lastSent, skipped: { after, through: follow.lastSent } }
      }
      await this.replay(follower, follow)
    }
    return { lastSeq: follow.lastSent }
  }

  /** Stops delivery to a follower; false when it was not following. */
  remove(follower: F): boolean {
    return this.followers.delete(follower)
  }

  /** The room is no longer followed here: no more deliveries, fills or timers. */
  close(): void {
    this.closed = true
    if (this.gapTimer) clearTimeout(this.gapTimer)
    this.gapTimer = null
    this.pending.clear()
    this.followers.clear()
  }

  private fillSoon(): void {
    this.gapTimer ??= setTimeout(() => {
      this.gapTimer = null
      this.fill()
    }, GAP_WAIT_MS)
  }

  private emit(seq: number, frame: string, createdAt: number | undefined): void {
    this.delivered = seq
    // One object for all the sockets: the first write encodes it, the others reuse that.
    const shared = new SharedFrame(frame)
    let sockets = 0
    for (const [follower, follow] of this.followers) {
      if (follow.live && seq === follow.lastSent + 1) {
        follow.lastSent = seq
        follower.deliver(shared)
        sockets++
      }
    }
    if (sockets > 0) this.events.delivered(frame, sockets, createdAt)
  }

  /**
   * Sends a follower the stored messages after its `lastSent`, then makes it live. The check
   * that it caught up with this instance's deliveries and the switch to live happen in one
   * tick, so no live message can fall between the replay and live delivery.
   */
  private async replay(follower: F, follow: Follow): Promise<void> {
    for (;;) {
      if (follow.lastSent >= this.delivered) {
        follow.live = true
        return
      }
      const batch = await this.store.range(this.roomId, { after: follow.lastSent, limit: REPLAY_BATCH })
      // Removed meanwhile (and maybe added again, with a replay of its own): this one ends.
      if (this.followers.get(follower) !== follow) return
      const before = follow.lastSent
      for (const m of batch) {
        if (m.seq !== follow.lastSent + 1) break
        follower.send(messageFrame(m))
        follow.lastSent = m.seq
      }
      if (follow.lastSent === before) {
        follow.live = true // the store has nothing more (the room was deleted meanwhile)
        return
      }
    }
  }
}
