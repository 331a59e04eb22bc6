// Notices whose loss is noticed. The bus delivers at most once (bus.ts): a publish can be lost
// on the way, and a publisher can die between the write it announces and the publish. A writer
// here takes a ticket first (`Bus.bump`: a number no other writer gets), then publishes its
// notice under that number, also when the write changed nothing. Every `checkMs` a subscriber
// reads the last ticket taken; a ticket taken before its previous check that has still not
// arrived was lost, and the subscriber is told (`lost`), so that whatever it keeps from these
// notices can be dropped and read again. A lost notice is noticed within two checks, for one
// bus call per check whatever the number of notices.
//
// Guarantees (test/bus/ticketed.test.ts): notices arriving out of order (two writers) are not
// a gap; a ticket never published is reported once, between one and two checks after it was
// taken; a bus that does not answer a check reports nothing, and its resync is reported as such.
import type { Bus } from './bus.ts'
import { type Channel, publishOn, subscribeOn } from './channel.ts'

/** One notice: its ticket (0 for none) and its items (none when the write changed nothing). */
export interface Notice<T> {
  n: number
  e: T[]
}

export interface TicketedHandlers<T> {
  /** A notice's items, from any instance, this one included. */
  receive(items: T[]): void
  /**
   * Notices may have been missed: a ticket never arrived (`gap`), or the subscriber connection
   * came back from an outage (`resync`). What they announced is unknown.
   */
  lost(cause: 'gap' | 'resync'): void
}

export class TicketedChannel<T> {
  /** Every ticket up to this one arrived (or was reported lost). */
  private seen = 0
  /** Tickets that arrived past `seen` while an earlier one is still on its way. */
  private readonly ahead = new Set<number>()
  /** The last ticket at the previous check: each of them must have arrived by the next. */
  private due = 0
  private timer: NodeJS.Timeout | null = null
  private checking = false

  constructor(
    private readonly bus: Bus,
    private readonly channel: Channel<Notice<T>>,
    private readonly handlers: TicketedHandlers<T>,
    private readonly checkMs: number,
  ) {}

  /** Subscribes and starts checking; resolves when listening. */
  async start(): Promise<void> {
    this.bus.onResync(() => this.handlers.lost('resync'))
    await subscribeOn(this.bus, this.channel, (notice) => this.receive(notice))
    // Notices published from here on arrive; every ticket up to the mark is accounted for.
    const [mark = 0] = await this.bus.marks([this.channel.name])
    this.due = mark
    this.pass(mark)
    this.timer = setInterval(() => void this.check(), this.checkMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }

  /** A ticket for a write about to be made, to be published with `publish` whatever happens. */
  take(): Promise<number> {
    return this.bus.bump(this.channel.name)
  }

  publish(n: number, items: T[]): Promise<void> {
    return publishOn(this.bus, this.channel, { n, e: items })
  }

  private receive(notice: Notice<T>): void {
    if (!Array.isArray(notice.e)) return
    this.handlers.receive(notice.e)
    // A notice without a ticket (n 0: from a version before tickets) counts for nothing.
    if (!(notice.n > this.seen)) return
    this.ahead.add(notice.n)
    this.pass(this.seen)
  }

  /** Moves `seen` to at least `upTo`, then past every ticket that arrived in a row after it. */
  private pass(upTo: number): void {
    if (upTo > this.seen) {
      this.seen = upTo
      for (const n of this.ahead) if (n <= upTo) this.ahead.delete(n)
    }
    while (this.ahead.delete(this.seen + 1)) this.seen++
  }

  private async check(): Promise<void> {
    if (this.checking) return
    this.checking = true
    try {
      const [mark = 0] = await this.bus.marks([this.channel.name])
      if (this.seen < this.due) {
        this.pass(this.due)
        this.handlers.lost('gap')
      }
      this.due = mark
    } catch {
      // The bus is down: its resync reports the outage when it is back.
    } finally {
      this.checking = false
    }
  }
}
