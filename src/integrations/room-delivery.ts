// Delivers one room's events to one integration, one at a time in seq order, from the cursor
// kept in the store. The next event (the cursor's seq plus one) comes from the room's notice
// when that is the notice at hand (notice.ts: no store read); anything else — a gap, a notice
// lost or out of order, an update the integration takes, a restart, the periodic look — reads
// the store after the cursor, which stays the source of truth. The first POST after idling waits
// for the shared turn (pacer.ts); the next ones of a streak go at once. Each event is POSTed
// until it is accepted (a 2xx); the cursor moves in memory at once and in the store with the
// integration's other rooms about once a second (cursor-writes.ts). An event that fails is tried
// again with backoff while the room's later events wait; after `giveUpMs` of failing it is
// skipped (lastError says so). A crash after an accepted POST and before the cursor's write
// sends the events since the last write again: at least once, never out of order.
import type { Logger } from '../logger.ts'
import type { IntegrationEvent } from '../schemas/integrations.ts'
import type { MessageRecord } from '../store/records.ts'
import type { Store } from '../store/store.ts'
import { retryDelayMs } from './backoff.ts'
import type { CursorWrites } from './cursor-writes.ts'
import type { IntegrationMetrics } from './metrics.ts'
import { fromNotice } from './notice.ts'
import type { Pacer } from './pacer.ts'
import { deliveryBody, eventType, signature } from './payload.ts'
import type { Sender } from './sender.ts'
import type { RoomNotice } from './wakeups.ts'

export interface DeliveryTarget {
  id: string
  url: string
  /** In plain text (opened from the store's sealed copy). */
  secret: string
  events: ReadonlySet<IntegrationEvent>
}

export interface DeliveryOptions {
  retryMinMs: number
  retryMaxMs: number
  giveUpMs: number
  /** How often an idle room looks at the store without a notice. */
  pollMs: number
  /** Events read per store round trip. */
  batch: number
  /** How often the cursors that moved are written to the store. */
  flushMs: number
}

export interface DeliveryDeps {
  store: Pick<Store, 'messages'>
  cursors: CursorWrites
  sender: Sender
  /** The shared turn the first event after idling waits for. */
  pacer: Pacer
  metrics: IntegrationMetrics
  log: Logger
  /** False once this instance may no longer be sure it holds the integration's lease. */
  holds: () => boolean
  signal: AbortSignal
}

/** Notices kept while the delivery is behind (a receiver failing); past that, the store has them. */
const MAX_NOTICES = 1000

export class RoomDelivery {
  /** True when the store must be read (a gap, the first look, a poll). */
  private pending = true
  /** Notices above the cursor, in seq order. */
  private notices: RoomNotice[] = []
  private wakeUp: (() => void) | null = null
  /** False after idling: the next POST waits for the pacer's turn. */
  private busy = false
  readonly done: Promise<void>

  constructor(
    private readonly target: DeliveryTarget,
    readonly room: string,
    /** Delivered (or skipped) up to here: in memory, written by `deps.cursors`. */
    private cursor: number,
    private readonly deps: DeliveryDeps,
    private readonly options: DeliveryOptions,
  ) {
    this.done = this.run().catch((err: unknown) => {
      if (!deps.signal.aborted)
        deps.log.error({ err, room, integration: target.id }, 'integration room delivery stopped')
    })
  }

  /** A notice of the room's: kept in order when above what is delivered, else the store is asked. */
  notice(n: RoomNotice): void {
    const last = this.notices[this.notices.length - 1]?.seq ?? this.cursor
    if (n.seq === last + 1 && this.notices.length < MAX_NOTICES) this.notices.push(n)
    else if (n.seq > this.cursor) this.pending = true
    this.wakeUp?.()
  }

  private get stopped(): boolean {
    return this.deps.signal.aborted
  }

  /** Waits `ms`, or less when stopped (or woken, when `wakeable`); true when woken early. */
  private sleep(ms: number, wakeable = true): Promise<boolean> {
    const { signal } = this.deps
    return new Promise((resolve) => {
      let early = true
      const finish = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', finish)
        if (this.wakeUp === finish) this.wakeUp = null
        resolve(early)
      }
      const timer = setTimeout(() => {
        early = false
        finish()
      }, ms)
      timer.unref()
      signal.addEventListener('abort', finish, { once: true })
      if (wakeable) this.wakeUp = finish
      if (signal.aborted) finish()
    })
  }

  /** The cursor moved (in memory at once, in the store with the next write). */
  private moved(seq: number): void {
    this.cursor = seq
    this.deps.cursors.advance(this.room, seq)
    while (this.notices.length > 0 && this.notices[0]!.seq <= seq) this.notices.shift()
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (!this.pending && this.notices.length === 0) {
        // Woken by a notice: it is at hand. Not woken: the periodic look at the store.
        if (!(await this.sleep(this.options.pollMs))) this.pending = true
        this.busy = false
        if (this.stopped) return
        continue
      }
      if (!this.deps.holds()) {
        // The lease is being renewed (or lost: the run is stopped then): look again shortly.
        await this.sleep(200)
        this.pending = true
        continue
      }
      const next = this.notices[0]
      if (!this.pending && next) {
        if (next.seq !== this.cursor + 1) {
          this.pending = true
          continue
        }
        const made = fromNotice(this.target.id, this.room, next.seq, next.frame)
        if (!made || (made.body === null && this.target.events.has(made.type))) {
          this.pending = true
          continue
        }
        if (!this.target.events.has(made.type)) this.moved(next.seq)
        else if (made.body !== null && (await this.deliver(made.body, next.seq, next.createdAt)))
          this.moved(next.seq)
        continue
      }
      this.pending = false
      await this.fromStore()
    }
  }

  /** Reads a batch after the cursor and delivers it, in order. */
  private async fromStore(): Promise<void> {
    let events: MessageRecord[]
    try {
      events = await this.deps.store.messages.range(this.room, {
        after: this.cursor,
        limit: this.options.batch,
      })
    } catch (err) {
      this.deps.log.warn({ err, room: this.room }, 'integration delivery: store read failed, trying again')
      await this.sleep(this.options.retryMinMs)
      this.pending = true
      return
    }
    if (events.length === this.options.batch) this.pending = true
    for (const e of events) {
      if (this.stopped || !this.deps.holds()) {
        this.pending = true
        return
      }
      if (e.seq <= this.cursor) continue
      if (this.target.events.has(eventType(e))) {
        if (!(await this.deliver(deliveryBody(this.target.id, e), e.seq, e.createdAt.getTime()))) {
          this.pending = true
          return
        }
      }
      this.moved(e.seq)
    }
  }

  /**
   * Posts the event until it is accepted (true) or given up on (true: skipped); false when the
   * run stopped or the lease is in doubt. The body and its signature are made once for every attempt.
   */
  private async deliver(body: string, seq: number, createdAt: number | undefined): Promise<boolean> {
    const { sender, metrics, cursors } = this.deps
    if (!this.busy) {
      await this.deps.pacer.turn()
      this.busy = true
      if (this.stopped) return false
    }
    const bytes = Buffer.from(body)
    const signed = signature(bytes, this.target.secret)
    let failures = 0
    let firstFailure = 0
    for (;;) {
      const r = await sender.sendSigned(this.target.url, bytes, signed, this.deps.signal)
      if (this.stopped) return false
      const now = Date.now()
      if (r.ok) {
        metrics.delivered.inc()
        if (createdAt !== undefined) metrics.lag.observe(Math.max(0, now - createdAt) / 1000)
        return true
      }
      metrics.failed.inc()
      failures++
      if (failures === 1) firstFailure = now
      const givingUp = now - firstFailure >= this.options.giveUpMs
      const error = givingUp ? `given up on seq ${seq} after failing for too long: ${r.error}` : r.error
      // After what was delivered before this event (written first: it stays delivered while this waits).
      await cursors.failed(this.room, error, new Date(now))
      if (givingUp) {
        metrics.givenUp.inc()
        this.deps.log.warn(
          { integration: this.target.id, room: this.room, seq },
          'integration event given up on',
        )
        return true
      }
      // A new event of the room does not cut the backoff short: it waits behind this one.
      await this.sleep(retryDelayMs(failures, this.options.retryMinMs, this.options.retryMaxMs), false)
      if (this.stopped) return false
      if (!this.deps.holds()) return false
    }
  }
}
