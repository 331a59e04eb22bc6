// Who is online in the rooms this instance follows. A user following a room from any local
// socket is held online in the Presence port (one hold per user and room, however many sockets);
// holds are refreshed in one batch for every room, so the cost of keeping them does not grow
// with a round trip per room. Each room's online list is re-read when an instance announces a
// change, and in one batch now and then to notice holds that expired elsewhere (a dead
// instance); a list that changed is told to the room's followers (PresenceHooks.changed).
import type { Logger } from '../logger.ts'
import type { Presence } from '../presence/presence.ts'

/** Presence holds are refreshed every 3 sweeps of the hub (6 s; they live 15 s). */
const HOLD_EVERY = 3
/** Holds that expired elsewhere (a dead instance) are noticed every 5 sweeps (10 s). */
const ONLINE_EVERY = 5

/** One followed room's presence on this instance. */
export class RoomPresence {
  /** Local sockets following the room, per user. */
  readonly users = new Map<string, number>()
  /** Who is online in the room, on every instance, as last read. */
  online: string[] = []
  constructor(readonly roomId: string) {}
}

export interface PresenceHooks {
  /** The room's online list changed: tell its followers. */
  changed(room: RoomPresence): void
  /** Tells every other instance to read the room's online list again. */
  announce(roomId: string): Promise<void>
}

export class PresenceTracker {
  private sweeps = 0

  constructor(
    private readonly presence: Presence,
    private readonly log: Logger,
    private readonly hooks: PresenceHooks,
  ) {}

  /** Reads the online list of a room this instance starts to follow. */
  async load(room: RoomPresence): Promise<void> {
    room.online = await this.presence.online(room.roomId)
  }

  /** A local socket of the user follows the room: its first one puts the user online. */
  async add(room: RoomPresence, userId: string): Promise<void> {
    const n = room.users.get(userId) ?? 0
    room.users.set(userId, n + 1)
    if (n > 0) return
    await this.presence.hold([{ room: room.roomId, user: userId }])
    // Local followers learn it now (and `joined.online` includes the user); others by the event.
    await this.refresh(room)
    await this.hooks.announce(room.roomId)
  }

  /** A local socket of the user stopped following the room: its last one takes the user off. */
  async remove(room: RoomPresence, userId: string): Promise<void> {
    const n = (room.users.get(userId) ?? 1) - 1
    if (n > 0) {
      room.users.set(userId, n)
      return
    }
    room.users.delete(userId)
    try {
      await this.presence.release(room.roomId, userId)
      await this.refresh(room)
      await this.hooks.announce(room.roomId)
    } catch (err) {
      this.log.warn({ err }, 'presence release failed')
    }
  }

  /** Reads the room's online list again (another instance announced a change). */
  async refresh(room: RoomPresence): Promise<void> {
    try {
      this.set(room, await this.presence.online(room.roomId))
    } catch (err) {
      this.log.warn({ err }, 'presence read failed')
    }
  }

  /**
   * Called by the hub's sweep with every room it follows: refreshes this instance's holds (one
   * batch) every HOLD_EVERY sweeps, and re-reads every online list (one batch) every ONLINE_EVERY.
   */
  sweep(rooms: RoomPresence[]): void {
    this.sweeps++
    if (this.sweeps % HOLD_EVERY === 0) {
      const holds: { room: string; user: string }[] = []
      for (const room of rooms) for (const user of room.users.keys()) holds.push({ room: room.roomId, user })
      this.presence.hold(holds).catch((err) => this.log.warn({ err }, 'presence refresh failed'))
    }
    if (this.sweeps % ONLINE_EVERY === 0) void this.refreshAll(rooms)
  }

  private async refreshAll(rooms: RoomPresence[]): Promise<void> {
    if (rooms.length === 0) return
    try {
      const online = await this.presence.onlineMany(rooms.map((r) => r.roomId))
      for (const [i, room] of rooms.entries()) this.set(room, online[i]!)
    } catch (err) {
      this.log.warn({ err }, 'presence read failed')
    }
  }

  private set(room: RoomPresence, online: string[]): void {
    if (online.join() === room.online.join()) return
    room.online = online
    this.hooks.changed(room)
  }
}
