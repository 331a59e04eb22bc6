// One room's stream of messages as the client delivers it: in seq order, each seq once.
// Duplicates (a replay overlapping what was already delivered) are dropped; a message ahead of
// the next expected seq waits until the ones before it arrive (the server's replay on re-join
// fills the gap); nothing is ever delivered out of order.
import type { Message, PinFrame, UpdateFrame } from './wire.ts'

/** What a room's stream carries: messages, changes to them (`update`) and pins, each with a seq of its own. */
export type StreamEvent = Message | UpdateFrame | PinFrame

export class RoomStream<T extends { seq: number } = Message> {
  /** The seq of the last message delivered; null until known (a join without `since`). */
  private last: number | null
  /** Messages ahead of `last + 1`, by seq. */
  private readonly pending = new Map<number, T>()
  /** The highest seq the server said exists (from `joined`), to notice a gap with nothing after it. */
  private known = 0
  /** Messages dropped as repeats, for diagnostics. */
  duplicates = 0

  constructor(since?: number) {
    this.last = since ?? null
    if (since !== undefined) this.known = since
  }

  /** The seq of the last message delivered, if known: what a re-join passes as `since`. */
  get lastSeq(): number | null {
    return this.last
  }

  /** True while some seq before one already received (or announced) has not arrived. */
  get hasGap(): boolean {
    return this.last !== null && (this.pending.size > 0 || this.known > this.last)
  }

  /** Takes one message off the wire; returns the messages now deliverable, in order. */
  push(message: T): T[] {
    const seq = message.seq
    if (seq > this.known) this.known = seq
    if (this.last === null) {
      // Baseline not known yet (joined not answered): hold it.
      if (this.pending.has(seq)) this.duplicates++
      else this.pending.set(seq, message)
      return []
    }
    if (seq <= this.last || this.pending.has(seq)) {
      this.duplicates++
      return []
    }
    if (seq !== this.last + 1) {
      this.pending.set(seq, message)
      return []
    }
    this.last = seq
    const out = [message]
    this.drain(out)
    return out
  }

  /**
   * The server answered `joined` with the seq it is live from. Without a baseline yet, that is
   * it (or just before the first message the socket was sent live, if one came first: a join
   * without `since` is never replayed, so whatever came is new).
   */
  joined(lastSeq: number): T[] {
    if (lastSeq > this.known) this.known = lastSeq
    const out: T[] = []
    if (this.last === null) {
      let base = lastSeq
      for (const seq of this.pending.keys()) if (seq - 1 < base) base = seq - 1
      this.last = base
      this.known = Math.max(this.known, base)
      for (const seq of [...this.pending.keys()]) if (seq <= base) this.pending.delete(seq)
      this.drain(out)
    }
    return out
  }

  /**
   * The server did not replay the events up to `through` (its `joined` said `skipped`): the
   * stream is read from history up to there instead (`fill`), so what is held from that part is
   * dropped: the pages bring those messages as they are now.
   */
  skipping(through: number): void {
    if (through > this.known) this.known = through
    for (const seq of [...this.pending.keys()]) if (seq <= through) this.pending.delete(seq)
  }

  /**
   * A page of history (oldest first) read for a skipped part: its messages after the last one
   * delivered and up to `through`, in order. History has no seqs of edits or reactions: the
   * stream moves from message to message.
   */
  fill(page: T[], through: number): T[] {
    const out: T[] = []
    for (const m of page) {
      if (this.last === null || m.seq <= this.last || m.seq > through) continue
      this.last = m.seq
      out.push(m)
    }
    return out
  }

  /** The skipped part is read: the stream goes on after `through`, with what came live meanwhile. */
  skipped(through: number): T[] {
    if (this.last === null || this.last < through) this.last = through
    for (const seq of [...this.pending.keys()]) if (seq <= through) this.pending.delete(seq)
    const out: T[] = []
    this.drain(out)
    return out
  }

  private drain(out: T[]): void {
    if (this.last === null) return
    for (let next = this.pending.get(this.last + 1); next; next = this.pending.get(this.last + 1)) {
      this.pending.delete(next.seq)
      this.last = next.seq
      out.push(next)
    }
  }
}
