// Wakes room deliveries when their room gets a new event: the room's bus channel, subscribed once
// per room however many integrations deliver it. Only a hint: the events themselves are always
// read from the store, and deliveries also look again now and then (a lost notice delays an
// event, never loses it).
import type { Bus, Unsubscribe } from '../bus/bus.ts'
import { subscribeOn } from '../bus/channel.ts'
import type { Logger } from '../logger.ts'
import { roomChannel } from '../realtime/room-channel.ts'

type Wake = () => void

export class RoomWakeups {
  private readonly rooms = new Map<string, { wakes: Set<Wake>; unsubscribe: Promise<Unsubscribe | null> }>()

  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
  ) {}

  /** Calls `wake` on each new event of the room until the returned function is called. */
  watch(room: string, wake: Wake): () => void {
    let entry = this.rooms.get(room)
    if (!entry) {
      const wakes = new Set<Wake>()
      const unsubscribe = subscribeOn(this.bus, roomChannel(room), (p) => {
        if (p.kind === 'message') for (const w of wakes) w()
      }).catch((err: unknown) => {
        this.log.warn({ err, room }, 'integrations: no room notices (deliveries look again at each poll)')
        return null
      })
      entry = { wakes, unsubscribe }
      this.rooms.set(room, entry)
    }
    const current = entry
    current.wakes.add(wake)
    return () => {
      current.wakes.delete(wake)
      if (current.wakes.size > 0 || this.rooms.get(room) !== current) return
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
