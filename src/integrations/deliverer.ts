// The deliverer of outgoing integrations, on every instance. Each integration is delivered by
// the one instance holding its lease in the store (owner and expiry): every `leaseMs / 3` each
// instance takes or renews the lease of every integration, starts delivering those it got and
// stops those it lost or that were deleted. A dead instance's leases run out after `leaseMs`
// and the next instance to look takes them over, going on from the cursors in the store.
// A delivery only goes on while this instance is sure of its lease (the time of its last
// successful claim plus `leaseMs`, less a margin), so two instances never deliver one
// integration at once unless the clocks disagree by more than that margin.
import { hostname } from 'node:os'
import type { SecretBox } from '../accounts/secret-box.ts'
import type { Bus } from '../bus/bus.ts'
import { newId } from '../ids.ts'
import type { Logger } from '../logger.ts'
import type { Store } from '../store/store.ts'
import type { IntegrationMetrics } from './metrics.ts'
import { Pacer } from './pacer.ts'
import type { DeliveryOptions } from './room-delivery.ts'
import { IntegrationRun } from './run.ts'
import { Sender } from './sender.ts'
import { RoomWakeups } from './wakeups.ts'

export interface DelivererOptions extends Omit<DeliveryOptions, 'batch' | 'pollMs' | 'flushMs'> {
  leaseMs: number
  timeoutMs: number
  allowPrivate: boolean
  /** How often rooms created since are looked for (integrations of `"all"`). */
  discoverMs?: number
  pollMs?: number
  batch?: number
  /** How often the cursors that moved are written (1 s). */
  flushMs?: number
  /** How long the first event after idling may wait for others to start with (pacer.ts; 0: none). */
  gatherMs?: number
}

export interface DelivererDeps {
  store: Pick<Store, 'messages' | 'integrations'>
  bus: Bus
  box: SecretBox
  metrics: IntegrationMetrics
  log: Logger
}

export class Deliverer {
  readonly owner = `${hostname()}:${process.pid}:${newId()}`
  private readonly runs = new Map<string, IntegrationRun>()
  private readonly sender: Sender
  private readonly pacer: Pacer
  private readonly wakeups: RoomWakeups
  private timer: NodeJS.Timeout | null = null
  private ticking: Promise<void> | null = null
  private stopped = false
  private again = false
  private lastDiscover = 0
  private readonly delivery: DeliveryOptions

  constructor(
    private readonly deps: DelivererDeps,
    private readonly options: DelivererOptions,
  ) {
    this.sender = new Sender({ timeoutMs: options.timeoutMs, allowPrivate: options.allowPrivate })
    this.wakeups = new RoomWakeups(deps.bus, deps.log)
    this.pacer = new Pacer(options.gatherMs ?? 50)
    this.delivery = {
      retryMinMs: options.retryMinMs,
      retryMaxMs: options.retryMaxMs,
      giveUpMs: options.giveUpMs,
      pollMs: options.pollMs ?? 5000,
      batch: options.batch ?? 100,
      flushMs: options.flushMs ?? 1000,
    }
  }

  start(): void {
    this.schedule(0)
  }

  /** Looks at the integrations now (one was created or deleted on this instance). */
  poke(): void {
    if (this.stopped) return
    if (this.ticking) this.again = true
    else this.schedule(0)
  }

  /** Stops claiming, stops every delivery (aborting attempts under way), gives the leases up. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    await this.ticking
    const runs = [...this.runs.entries()]
    this.runs.clear()
    this.deps.metrics.held.set(0)
    const stopping = Promise.all(runs.map(([, r]) => r.stop()))
    this.pacer.release()
    await stopping
    await Promise.all(
      runs.map(([id]) => this.deps.store.integrations.release(id, this.owner).catch(() => {})),
    )
    await this.wakeups.close()
    this.sender.close()
  }

  private schedule(ms: number): void {
    if (this.stopped) return
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = null
      this.ticking = this.tick().finally(() => {
        this.ticking = null
        const soon = this.again
        this.again = false
        this.schedule(soon ? 0 : Math.max(100, Math.floor(this.options.leaseMs / 3)))
      })
    }, ms)
    this.timer.unref()
  }

  private async tick(): Promise<void> {
    const { store, log } = this.deps
    try {
      const all = await store.integrations.list()
      const ids = new Set(all.map((i) => i.id))
      // Deleted: stop (the lease went with it).
      for (const [id, run] of this.runs)
        if (!ids.has(id)) {
          this.runs.delete(id)
          await run.stop()
        }
      const discover = Date.now() - this.lastDiscover >= (this.options.discoverMs ?? 3000)
      if (discover) this.lastDiscover = Date.now()
      for (const record of all) {
        if (this.stopped) return
        const asked = Date.now()
        const held = await store.integrations.claim(
          record.id,
          this.owner,
          this.options.leaseMs,
          new Date(asked),
        )
        let run = this.runs.get(record.id)
        if (!held) {
          if (run) {
            log.warn({ integration: record.id }, 'integration lease lost: another instance delivers it')
            this.runs.delete(record.id)
            await run.stop()
          }
          continue
        }
        if (!run) {
          run = new IntegrationRun(
            record,
            { ...this.deps, sender: this.sender, pacer: this.pacer, wakeups: this.wakeups },
            this.delivery,
          )
          run.validUntil = asked + this.options.leaseMs * 0.9
          this.runs.set(record.id, run)
          await run.start()
        } else {
          run.validUntil = asked + this.options.leaseMs * 0.9
          if (discover) await run.discover()
        }
      }
    } catch (err) {
      log.warn({ err }, 'integration leases: round failed, trying again')
    }
    this.deps.metrics.held.set(this.runs.size)
  }
}
