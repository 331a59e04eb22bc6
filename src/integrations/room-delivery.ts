// Delivers one room's events to one integration, one at a time in seq order, from the cursor
// kept in the store: read after the cursor, POST each subscribed event until it is accepted (a
// 2xx), then move the cursor once for what the batch delivered. An event that fails is tried
// again with backoff while the room's later events wait; after `giveUpMs` of failing it is
// skipped (lastError says so). A crash between an accepted POST and the cursor's write sends
// that event again: at least once, never out of order.
import type { Logger } from '../logger.ts'
import type { IntegrationEvent } from '../schemas/integrations.ts'
import type { MessageRecord } from '../store/records.ts'
import type { Store } from '../store/store.ts'
import { retryDelayMs } from './backoff.ts'
import type { IntegrationMetrics } from './metrics.ts'
import { deliveryBody, eventType } from './payload.ts'
import type { Sender } from './sender.ts'

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
}

export interface DeliveryDeps {
  store: Pick<Store, 'messages' | 'integrations'>
  sender: Sender
  metrics: IntegrationMetrics
  log: Logger
  /** False once this instance may no longer be sure it holds the integration's lease. */
  holds: () => boolean
  signal: AbortSignal
}

export class RoomDelivery {
  private pending = true
  private wakeUp: (() => void) | null = null
  readonly done: Promise<void>

  constructor(
    private readonly target: DeliveryTarget,
    readonly room: string,
    private cursor: number,
    private readonly deps: DeliveryDeps,
    private readonly options: DeliveryOptions,
  ) {
    this.done = this.run().catch((err: unknown) => {
      if (!deps.signal.aborted)
        deps.log.error({ err, room, integration: target.id }, 'integration room delivery stopped')
    })
  }

  /** The room has a new event (a notice): read the store again. */
  wake(): void {
    this.pending = true
    this.wakeUp?.()
  }

  private get stopped(): boolean {
    return this.deps.signal.aborted
  }

  /** Waits `ms`, or less when stopped (or woken, when `wakeable`). */
  private sleep(ms: number, wakeable = true): Promise<void> {
    const { signal } = this.deps
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', finish)
        if (this.wakeUp === finish) this.wakeUp = null
        resolve()
      }
      const timer = setTimeout(finish, ms)
      timer.unref()
      signal.addEventListener('abort', finish, { once: true })
      if (wakeable) this.wakeUp = finish
      if (signal.aborted) finish()
    })
  }

  private async run(): Promise<void> {
    const { store } = this.deps
    while (!this.stopped) {
      if (!this.pending) {
        await this.sleep(this.options.pollMs)
        if (this.stopped) return
      }
      this.pending = false
      if (!this.deps.holds()) {
        // The lease is being renewed (or lost: the run is stopped then): look again shortly.
        await this.sleep(200)
        this.pending = true
        continue
      }
      let events: MessageRecord[]
      try {
        events = await store.messages.range(this.room, { after: this.cursor, limit: this.options.batch })
      } catch (err) {
        this.deps.log.warn({ err, room: this.room }, 'integration delivery: store read failed, trying again')
        await this.sleep(this.options.retryMinMs)
        this.pending = true
        continue
      }
      if (events.length === this.options.batch) this.pending = true
      let reached = this.cursor
      for (const e of events) {
        if (this.stopped || !this.deps.holds()) break
        if (this.target.events.has(eventType(e))) {
          if (!(await this.deliver(e, reached))) break
        }
        reached = e.seq
      }
      if (reached > this.cursor) await this.save(reached)
      if (!this.deps.holds()) this.pending = true
    }
  }

  /** Moves the cursor in the store (one write for the batch). */
  private async save(seq: number): Promise<void> {
    try {
      await this.deps.store.integrations.advance(this.target.id, this.room, seq, new Date())
      this.cursor = seq
    } catch (err) {
      // Not moved: those events go again (at least once), the next batch starts from the old cursor.
      this.deps.log.warn({ err, room: this.room }, 'integration delivery: cursor not saved')
      this.pending = true
    }
  }

  /**
   * Posts the event until it is accepted (true) or given up on (true: skipped); false when the
   * run stopped. `reached`: what the batch delivered before it, saved before waiting.
   */
  private async deliver(e: MessageRecord, reached: number): Promise<boolean> {
    const { sender, metrics, store } = this.deps
    const body = deliveryBody(this.target.id, e)
    let failures = 0
    let firstFailure = 0
    for (;;) {
      const r = await sender.send(this.target.url, body, this.target.secret, this.deps.signal)
      if (this.stopped) return false
      const now = Date.now()
      if (r.ok) {
        metrics.delivered.inc()
        metrics.lag.observe(Math.max(0, now - e.createdAt.getTime()) / 1000)
        return true
      }
      metrics.failed.inc()
      failures++
      if (failures === 1) {
        firstFailure = now
        // What was delivered before this event stays delivered while it waits.
        if (reached > this.cursor) await this.save(reached)
      }
      const givingUp = now - firstFailure >= this.options.giveUpMs
      const error = givingUp ? `given up on seq ${e.seq} after failing for too long: ${r.error}` : r.error
      await store.integrations
        .failed(this.target.id, this.room, error, new Date(now))
        .catch((err: unknown) => {
          this.deps.log.warn({ err }, 'integration delivery: failure not recorded')
        })
      if (givingUp) {
        metrics.givenUp.inc()
        this.deps.log.warn(
          { integration: this.target.id, room: this.room, seq: e.seq },
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
