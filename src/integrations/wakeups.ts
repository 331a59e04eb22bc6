// Tells room deliveries of their room's new events: the room's bus channel, subscribed once per
// room however many integrations deliver it. Each message notice is handed on with its seq and
// frame, so a delivery that is at the seq before can send the event without reading the store
// (notice.ts). Only ever a shortcut: a lost or late notice sends the delivery to the store, and
// deliveries also look at the store now and then (a lost notice delays an event, never loses it).
import type { Bus, Unsubscribe } from '../bus/bus.ts'
import { subscribeOn } from '../bus/channel.ts'
import type { Logger } from '../logger.ts'
import { roomChannel } from '../realtime/room-channel.ts'

/** A stored event of the room as its notice brought it: the frame the sockets are sent. */
export interface RoomNotice {
  seq: number
  frame: string
  /** The record's, in epoch ms; absent from an instance of the version before. */
  createdAt?: number
}

type Watcher = (notice: RoomNotice) => void

export class RoomWakeups {
  private readonly rooms = new Map<
    string,
    { watchers: Set<Watcher>; unsubscribe: Promise<Unsubscribe | null> }
  >()

  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
  ) {}

  /** Calls `watch` with each new event's notice until the returned function is called. */
  watch(room: string, watcher: Watcher): () => void {
    let entry = this.rooms.get(room)
    if (!entry) {
      const watchers = new Set<Watcher>()
      const unsubscribe = subscribeOn(this.bus, roomChannel(room), (p) => {
        if (p.kind === 'message') for (const w of watchers) w(p)
      }).catch((err: unknown) => {
        this.log.warn({ err, room }, 'integrations: no room notices (deliveries look again at each poll)')
        return null
      })
      entry = { watchers, unsubscribe }
      this.rooms.set(room, entry)
    }
    const current = entry
    current.watchers.add(watcher)
    return () => {
      current.watchers.delete(watcher)
      if (current.watchers.size > 0 || this.rooms.get(room) !== current) return
      this.rooms.delete(room)
      void current.unsubscribe.then((u) => u?.()).catch(() => {})
    }
  }

  async close(): Promise<void> {
    const all = [...this.rooms.values()]
    this.rooms.clear()
    await Promise.all(all.map((e) => e.unsubscribe.then((u) => u?.()).catch(() => {})))
  }
}
