// The send path's one question: "may a notification be due for this message?", answered from
// what the message already carries, with no store read per message: its mentions, the author of
// the message it replies to, whether its room is a direct room (a room's kind never changes, so
// it is read once per room and kept), and whether anyone set its room to "all" (a set of rooms
// read now and then). Only then is one job enqueued for the event, due NOTIFY_DELAY_SECONDS
// later, in batches off the path of the ack; who is away is decided once, when it is due
// (worker.ts), by whichever instance claims it.
import type { Logger } from '../logger.ts'
import type { NewJob } from '../store/notify-records.ts'
import type { MessageRecord } from '../store/records.ts'
import type { Store } from '../store/store.ts'
import type { NotifyMetrics } from './metrics.ts'

/** How often the rooms set to "all" are read again (a change on this instance counts at once). */
const ALL_ROOMS_MS = 30_000
const MAX_ROOMS_KEPT = 100_000
const FLUSH_MS = 25
const FLUSH_MAX = 500

export const eventJobId = (roomId: string, seq: number) => `e:${roomId}:${seq}`

export class NotifyTrigger {
  /** room → whether it is a direct room (immutable facts). Map order doubles as an LRU. */
  private readonly direct = new Map<string, boolean>()
  private allRooms = new Set<string>()
  private pending: NewJob[] = []
  private flushing: Promise<void> | null = null
  private timer: NodeJS.Timeout | null = null
  private refresher: NodeJS.Timeout | null = null
  private stopped = false

  constructor(
    private readonly store: Pick<Store, 'rooms' | 'notifySettings' | 'jobs'>,
    private readonly delayMs: number,
    private readonly log: Logger,
    private readonly metrics: NotifyMetrics,
    /** Called after a batch was enqueued with its earliest due time (wakes the local worker then). */
    private readonly onEnqueued: (dueAt: number) => void = () => {},
  ) {}

  async start(): Promise<void> {
    await this.refreshAllRooms()
    this.refresher = setInterval(() => void this.refreshAllRooms(), ALL_ROOMS_MS)
    this.refresher.unref()
  }

  /** Every message stored on this instance passes here, after its publish. Synchronous and cheap. */
  consider(m: MessageRecord): void {
    if (this.stopped || m.kind === 'update' || m.kind === 'system' || !m.from) return
    const named =
      (m.mentions?.some((id) => id !== m.from!.id) ?? false) ||
      (m.replyTo?.from && m.replyTo.from.id !== m.from.id)
    if (named || this.allRooms.has(m.roomId)) return this.due(m)
    const direct = this.direct.get(m.roomId)
    if (direct === true) return this.due(m)
    if (direct === undefined) void this.learnKind(m)
  }

  /** A user set this room to "all" through this instance: counted at once here, elsewhere at the next read. */
  roomSetToAll(roomId: string): void {
    this.allRooms.add(roomId)
  }

  /** Stores what is still pending. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.refresher) clearInterval(this.refresher)
    if (this.timer) clearTimeout(this.timer)
    await this.flush()
  }

  private due(m: MessageRecord): void {
    this.pending.push({
      id: eventJobId(m.roomId, m.seq),
      kind: 'event',
      dueAt: new Date(m.createdAt.getTime() + this.delayMs),
      payload: { room: m.roomId, seq: m.seq },
    })
    if (this.pending.length >= FLUSH_MAX) void this.flush()
    else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null
        void this.flush()
      }, FLUSH_MS)
    }
  }

  private async flush(): Promise<void> {
    if (this.flushing) await this.flushing
    if (this.pending.length === 0) return
    const batch = this.pending
    this.pending = []
    this.flushing = (async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.store.jobs.enqueue(batch, new Date())
          this.metrics.events.inc(batch.length)
          this.onEnqueued(Math.min(...batch.map((j) => j.dueAt.getTime())))
          return
        } catch (err) {
          if (attempt >= 3) {
            this.metrics.lost.inc(batch.length)
            this.log.error({ err, count: batch.length }, 'notifications could not be queued: lost')
            return
          }
          await new Promise((r) => setTimeout(r, 200 * attempt))
        }
      }
    })()
    await this.flushing
    this.flushing = null
  }

  /** The first message of a room on this instance: its kind is read once, and the message judged with it. */
  private async learnKind(m: MessageRecord): Promise<void> {
    try {
      const room = await this.store.rooms.get(m.roomId)
      if (!room) return
      const direct = room.kind === 'dm'
      this.direct.set(m.roomId, direct)
      if (this.direct.size > MAX_ROOMS_KEPT) this.direct.delete(this.direct.keys().next().value!)
      if (direct) this.due(m)
    } catch (err) {
      this.log.warn({ err }, 'room kind read failed: the message is judged without it')
    }
  }

  private async refreshAllRooms(): Promise<void> {
    try {
      this.allRooms = new Set(await this.store.notifySettings.roomsWithAll())
    } catch (err) {
      this.log.warn({ err }, 'rooms set to "all" could not be read; the last known set is kept')
    }
  }
}
