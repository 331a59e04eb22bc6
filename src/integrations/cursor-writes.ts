// The cursors of one integration's rooms as they move, written to the store together: a room's
// delivered seq is noted in memory at each accepted event, and every `intervalMs` one `advance`
// writes every cursor that moved since (one round trip for all the rooms, whatever the number of
// events). Flushed on stop, which includes a lost lease. The price: an instance that dies
// repeats up to that interval's events (at least once, as before; never out of order).
// A failure is recorded through the same queue, after the room's cursor, so that the cursor's
// write (which clears `lastError`) never lands after the error it preceded.
import type { Logger } from '../logger.ts'
import type { Store } from '../store/store.ts'

export class CursorWrites {
  /** Room → seq delivered up to, not yet written. */
  private moved = new Map<string, number>()
  private timer: NodeJS.Timeout | null = null
  /** Every write, one after the other. */
  private chain: Promise<void> = Promise.resolve()
  private closed = false

  constructor(
    private readonly store: Pick<Store, 'integrations'>,
    private readonly integration: string,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  /** The room is delivered up to `seq`: written within `intervalMs`. */
  advance(room: string, seq: number): void {
    if ((this.moved.get(room) ?? 0) < seq) this.moved.set(room, seq)
    this.arm()
  }

  private arm(): void {
    if (this.timer || this.closed) return
    this.timer = setTimeout(() => {
      this.timer = null
      void this.flush()
    }, this.intervalMs)
    this.timer.unref()
  }

  /** Writes what moved now; resolves once written (or failed: kept for the next write). */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = null
    }
    if (this.moved.size === 0) return this.chain
    const batch = this.moved
    this.moved = new Map()
    return this.enqueue(async () => {
      const cursors = [...batch].map(([room, seq]) => ({ room, seq }))
      try {
        await this.store.integrations.advance(this.integration, cursors, new Date())
      } catch (err) {
        // Not written: kept for the next write (unless moved further meanwhile).
        this.log.warn({ err, integration: this.integration }, 'integration delivery: cursors not saved')
        for (const [room, seq] of batch) if ((this.moved.get(room) ?? 0) < seq) this.moved.set(room, seq)
        this.arm()
      }
    })
  }

  /** Records a failed attempt of the room's next event, after writing its cursor. */
  async failed(room: string, error: string, at: Date): Promise<void> {
    if (this.moved.has(room)) await this.flush()
    return this.enqueue(() =>
      this.store.integrations.failed(this.integration, room, error, at).catch((err: unknown) => {
        this.log.warn({ err }, 'integration delivery: failure not recorded')
      }),
    )
  }

  /** Writes what is left; nothing is noted after. */
  close(): Promise<void> {
    this.closed = true
    return this.flush()
  }

  private enqueue(write: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(write)
    return this.chain
  }
}
