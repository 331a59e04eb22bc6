// The search backfill: messages stored before search existed get their terms, in batches,
// newest first, while chat goes on. Any instance may run it; a lease in the store lets exactly
// one do so at a time, and what is indexed stays indexed, so a restart (or the loss of the
// instance running it) resumes where it stopped.
import { newId } from '../ids.ts'
import type { Logger } from '../logger.ts'
import type { Metrics } from '../metrics.ts'
import type { Store } from '../store/store.ts'

export const BACKFILL_LEASE = 'search-backfill'

export interface BackfillOptions {
  /** Messages per batch. */
  batch?: number
  /** How long a lease lasts; renewed before each batch. */
  leaseMs?: number
  /** Between attempts while another instance holds the lease. */
  retryMs?: number
}

export class SearchBackfill {
  private readonly holder = newId()
  private stopped = false
  private timer: NodeJS.Timeout | null = null
  private running: Promise<void> | null = null
  private readonly batch: number
  private readonly leaseMs: number
  private readonly retryMs: number

  constructor(
    private readonly store: Pick<Store, 'search'>,
    private readonly log: Logger,
    private readonly metrics: Pick<Metrics, 'searchBackfilled' | 'searchBackfillDone'>,
    options: BackfillOptions = {},
  ) {
    this.batch = options.batch ?? 500
    this.leaseMs = options.leaseMs ?? 30_000
    this.retryMs = options.retryMs ?? this.leaseMs
  }

  /** Starts in the background; `done` resolves when nothing is left (on this instance's watch). */
  start(): void {
    this.metrics.searchBackfillDone.set(0)
    this.running = this.run().catch((err: unknown) => {
      this.log.error({ err }, 'search backfill failed; it resumes at the next start')
    })
  }

  /** Resolves when the backfill ended (finished, stopped or failed). */
  async settled(): Promise<void> {
    await this.running
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.wake?.()
    await this.running
  }

  private wake: (() => void) | null = null

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve
      this.timer = setTimeout(resolve, ms)
      this.timer.unref()
    })
  }

  private async run(): Promise<void> {
    let total = 0
    let announced = false
    const started = Date.now()
    while (!this.stopped) {
      if (!(await this.store.search.lease(BACKFILL_LEASE, this.holder, this.leaseMs, new Date()))) {
        // Another instance runs it: look again once its lease could have lapsed.
        await this.sleep(this.retryMs)
        continue
      }
      const { indexed, done } = await this.store.search.backfill(this.batch)
      total += indexed
      this.metrics.searchBackfilled.inc(indexed)
      if (indexed > 0 && !announced) {
        this.log.info('search backfill: indexing messages stored before search existed')
        announced = true
      }
      if (indexed > 0 && (total % (this.batch * 20) < this.batch || done))
        this.log.info(
          { indexed: total, perSecond: Math.round(total / Math.max((Date.now() - started) / 1000, 0.001)) },
          'search backfill progress',
        )
      if (done) {
        this.metrics.searchBackfillDone.set(1)
        if (total > 0) this.log.info({ indexed: total }, 'search backfill done')
        await this.store.search.release(BACKFILL_LEASE, this.holder)
        return
      }
      // Yield between batches: chat goes on.
      await new Promise((r) => setImmediate(r))
    }
    await this.store.search.release(BACKFILL_LEASE, this.holder).catch(() => {})
  }
}
