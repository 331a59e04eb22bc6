// One integration as delivered by the instance holding its lease: a RoomDelivery per room with
// a cursor, each fed its room's notices, and the cursors that moved written together
// (CursorWrites), last when the run stops (shut down, or the lease lost). For `rooms: "all"`, rooms created after the
// integration have no cursor: `discover` (at the start and then every few seconds) gives each a
// cursor at seq 0, so their every event is delivered from the first.
import type { SecretBox } from '../accounts/secret-box.ts'
import type { Logger } from '../logger.ts'
import type { IntegrationRecord } from '../store/integration-records.ts'
import type { Store } from '../store/store.ts'
import { CursorWrites } from './cursor-writes.ts'
import type { IntegrationMetrics } from './metrics.ts'
import type { Pacer } from './pacer.ts'
import { type DeliveryOptions, type DeliveryTarget, RoomDelivery } from './room-delivery.ts'
import type { Sender } from './sender.ts'
import type { RoomWakeups } from './wakeups.ts'

export interface RunDeps {
  store: Pick<Store, 'messages' | 'integrations'>
  sender: Sender
  pacer: Pacer
  box: SecretBox
  wakeups: RoomWakeups
  metrics: IntegrationMetrics
  log: Logger
}

/** Rooms discovered per look (the rest at the next). */
const DISCOVER_BATCH = 1000

export class IntegrationRun {
  private readonly abort = new AbortController()
  private readonly deliveries = new Map<string, { delivery: RoomDelivery; unwatch: () => void }>()
  private readonly target: DeliveryTarget
  private readonly cursors: CursorWrites
  /** Until when this instance is sure it holds the lease (set by the deliverer at each claim). */
  validUntil = 0

  constructor(
    readonly record: IntegrationRecord,
    private readonly deps: RunDeps,
    private readonly options: DeliveryOptions,
  ) {
    this.target = {
      id: record.id,
      url: record.url,
      secret: deps.box.open(record.secret),
      events: new Set(record.events),
    }
    this.cursors = new CursorWrites(deps.store, record.id, options.flushMs, deps.log)
  }

  async start(): Promise<void> {
    for (const c of await this.deps.store.integrations.cursors(this.record.id)) this.add(c.room, c.seq)
    await this.discover()
  }

  /** Rooms created since (`"all"` only): cursors at 0, then delivered like the others. */
  async discover(): Promise<void> {
    if (this.record.rooms !== 'all' || this.abort.signal.aborted) return
    const rooms = await this.deps.store.integrations.roomsWithout(this.record.id, DISCOVER_BATCH)
    if (rooms.length === 0) return
    await this.deps.store.integrations.addCursors(
      this.record.id,
      rooms.map((room) => ({ room, seq: 0 })),
    )
    // Read back: a cursor another holder added meanwhile wins over ours.
    for (const c of await this.deps.store.integrations.cursors(this.record.id)) this.add(c.room, c.seq)
  }

  private add(room: string, seq: number): void {
    if (this.deliveries.has(room) || this.abort.signal.aborted) return
    const delivery = new RoomDelivery(
      this.target,
      room,
      seq,
      {
        ...this.deps,
        cursors: this.cursors,
        holds: () => Date.now() < this.validUntil,
        signal: this.abort.signal,
      },
      this.options,
    )
    this.deliveries.set(room, { delivery, unwatch: this.deps.wakeups.watch(room, (n) => delivery.notice(n)) })
  }

  /**
   * Stops every room's delivery (an attempt under way is aborted) and writes the cursors that
   * moved; resolves once all ended. Written even when the lease was lost: a cursor only moves
   * forward, to what this instance had delivered.
   */
  async stop(): Promise<void> {
    this.abort.abort()
    const all = [...this.deliveries.values()]
    for (const d of all) d.unwatch()
    await Promise.all(all.map((d) => d.delivery.done))
    await this.cursors.close()
  }
}
