// Appends of one room on one instance go to the store one batch at a time: while a batch is
// being stored, the sends that arrive for the room queue, and the next batch takes them all
// (up to MAX_BATCH) in one `appendMany`. Under light load a batch is one message and nothing
// waits; under load the store sees one round trip per batch instead of one per message.
//
// Guarantees: messages of one room are stored in the order they reached the queue (so one
// socket's sends, which reach it one after the other, keep their order); each sender gets its
// own result (its seq, or the first stored message for a repeated clientMsgId); the published
// frames leave in seq order, each after its message is stored; a failed batch fails its
// senders only (they retry with the same clientMsgId).
import type { Logger } from '../logger.ts'
import type { MessageRecord, NewMessage } from '../store/records.ts'
import type { MessageStore } from '../store/store.ts'

export interface Appended {
  message: MessageRecord
  duplicate: boolean
}

interface Waiting {
  message: NewMessage
  resolve: (r: Appended) => void
  reject: (err: unknown) => void
}

interface RoomQueue {
  waiting: Waiting[]
  running: boolean
}

const MAX_BATCH = 100
/** Rooms whose last seq is remembered (the hint that saves reading it before an append). */
const MAX_HINTS = 10_000

export class AppendQueue {
  private readonly queues = new Map<string, RoomQueue>()
  /** The last seq this instance stored per room: where the next batch starts. Map order = LRU. */
  private readonly lastSeq = new Map<string, number>()

  constructor(
    private readonly messages: Pick<MessageStore, 'appendMany'>,
    /** Tells every instance about a stored message; a failure is logged, never the sender's. */
    private readonly publish: (message: MessageRecord) => Promise<void>,
    private readonly log: Logger,
    /**
     * Completes a stored batch before it is published (an update's frame carries the changed
     * message's state read after the update was stored), so the publishes keep their order.
     */
    private readonly prepare?: (stored: MessageRecord[]) => Promise<void>,
  ) {}

  append(message: NewMessage): Promise<Appended> {
    return new Promise((resolve, reject) => {
      let queue = this.queues.get(message.roomId)
      if (!queue) {
        queue = { waiting: [], running: false }
        this.queues.set(message.roomId, queue)
      }
      queue.waiting.push({ message, resolve, reject })
      if (!queue.running) void this.drain(message.roomId, queue)
    })
  }

  /** Rooms with appends queued or in flight (for tests). */
  busyRooms(): number {
    return this.queues.size
  }

  private async drain(roomId: string, queue: RoomQueue): Promise<void> {
    queue.running = true
    while (queue.waiting.length > 0) {
      const batch = queue.waiting.splice(0, MAX_BATCH)
      let results: Appended[]
      try {
        results = await this.messages.appendMany(
          batch.map((w) => w.message),
          this.lastSeq.get(roomId),
        )
      } catch (err) {
        // Another instance may have stored some of them: forget the hint, read it next time.
        this.lastSeq.delete(roomId)
        for (const w of batch) w.reject(err)
        continue
      }
      let last = this.lastSeq.get(roomId) ?? 0
      for (const r of results) if (r.message.seq > last) last = r.message.seq
      this.rememberSeq(roomId, last)
      if (this.prepare) {
        try {
          await this.prepare(results.filter((r) => !r.duplicate).map((r) => r.message))
        } catch (err) {
          // Stored is what counts: the frame then shows what is known, replays show the rest.
          this.log.warn({ err }, 'preparing frames failed')
        }
      }
      // Stored is what counts: a lost publish is filled from the store by the receivers. The
      // publishes are issued in seq order before any of them is awaited (one connection keeps
      // their order), then each sender gets its answer.
      await Promise.all(
        results.map((r) =>
          r.duplicate
            ? undefined
            : this.publish(r.message).catch((err) => this.log.warn({ err }, 'publish failed')),
        ),
      )
      for (const [i, w] of batch.entries()) w.resolve(results[i]!)
    }
    queue.running = false
    this.queues.delete(roomId)
  }

  private rememberSeq(roomId: string, seq: number): void {
    this.lastSeq.delete(roomId)
    this.lastSeq.set(roomId, seq)
    if (this.lastSeq.size > MAX_HINTS) this.lastSeq.delete(this.lastSeq.keys().next().value!)
  }
}
