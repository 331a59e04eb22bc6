// Every few seconds, at a cost that does not grow with the rooms followed by a store or
// presence round trip each: catch up quiet rooms whose publish was lost (one `marks` read for
// all of them, then a store read only for a room whose mark is ahead), drop rooms nobody follows
// any more, and let the presence tracker refresh its holds and online lists (in batches).
import type { Bus } from '../bus/bus.ts'
import type { Logger } from '../logger.ts'
import type { LocalRoom } from './local-room.ts'
import { roomChannel } from './room-channel.ts'
import type { PresenceTracker, RoomPresence } from './room-presence.ts'

const SWEEP_MS = 2_000
/** Quiet rooms read from the store per sweep, in turn (see catchUp). */
const STORE_CHECKS_PER_SWEEP = 2

export class Sweep {
  private readonly timer: NodeJS.Timeout
  /** The quiet room the store check reaches next. */
  private storeTurn = 0

  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
    private readonly presence: PresenceTracker,
    /** The rooms followed here, and how one is dropped (the hub's). */
    private readonly rooms: { list(): Iterable<LocalRoom>; drop(room: LocalRoom): void },
  ) {
    this.timer = setInterval(() => this.run(), SWEEP_MS)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
  }

  private run(): void {
    const now = Date.now()
    const quiet: LocalRoom[] = []
    const followed: RoomPresence[] = []
    for (const room of [...this.rooms.list()]) {
      if (room.early) continue
      // A join that lost the race with its socket's close (the socket left while the join read
      // the store) leaves a room followed by nobody: drop it, or it stays subscribed and swept
      // forever. Safe here: a follow adds its socket in the same tick as its room became ready.
      if (room.followers.size === 0) {
        this.rooms.drop(room)
        continue
      }
      followed.push(room.presence)
      if (room.lastActivity < now - SWEEP_MS / 2) quiet.push(room)
    }
    if (quiet.length > 0) void this.catchUp(quiet)
    this.presence.sweep(followed)
  }

  /**
   * Quiet rooms: a publish lost with the bus shows as a mark ahead of `delivered`. A message
   * whose sender died between storing and publishing has no mark: a few quiet rooms per sweep,
   * in turn, are also read from the store (a constant cost), and any later message in the room
   * reveals the gap at once anyway.
   */
  private async catchUp(quiet: LocalRoom[]): Promise<void> {
    try {
      const marks = await this.bus.marks(quiet.map((r) => roomChannel(r.id).name))
      for (const [i, room] of quiet.entries()) if (marks[i]! > room.feed.delivered) room.feed.fill()
      for (let k = 0; k < Math.min(STORE_CHECKS_PER_SWEEP, quiet.length); k++) {
        this.storeTurn = (this.storeTurn + 1) % quiet.length
        quiet[this.storeTurn]!.feed.fill()
      }
    } catch (err) {
      this.log.warn({ err }, 'quiet room check failed')
    }
  }
}
