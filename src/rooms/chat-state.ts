// What a send needs to know before it is stored, kept on each instance so that a message in the
// steady state costs one store round trip (the append): whether the sender is a member of the
// room, and the sender's snapshot (id, username, display name) stamped on the message. Beside
// them, a user's own record and rooms, which `GET /api/me` shows on every page load.
//
// Exact through bus events: every store write that can make a cached answer wrong (a member
// leaving, joining or removed by a moderator, a room created or deleted, a user changed, banned or made VIP,
// a block or an unblock) goes
// through `watch(store)`, which drops the entry on this instance at once and announces it on the
// `chat:state` channel, so every other instance drops it when the notice arrives (milliseconds;
// test/multi/chat-state.test.ts measures the window). Only positive answers are cached: a join
// cannot make one wrong, and a refusal is always read from the store.
//
// A lost notice is noticed (src/bus/ticketed.ts): each write is announced under a ticket taken
// before it, even when it changed nothing or failed, and a ticket that never arrives drops
// everything within two checks of CHECK_MS, as a bus resync does. So entries can live long
// (ENTRY_MS, a bound kept for writes made around the application, such as an operator's edit in
// the database): in the steady state a member's sends read nothing but the append. An answer
// read from the store while a notice arrived is not kept (the epoch check), so a read racing a
// leave cannot keep a member that just left. Bounded memory: at most MAX_MEMBERS membership
// entries, MAX_SENDERS snapshots and MAX_OWN own views, the oldest dropped first.
import type { Bus } from '../bus/bus.ts'
import type { Channel } from '../bus/channel.ts'
import { type Notice, TicketedChannel } from '../bus/ticketed.ts'
import type { UserRecord, UserSnapshot } from '../store/records.ts'
import type { Store } from '../store/store.ts'

/** What a write made stale. */
export type StateEvent =
  /** The user is no longer a member of the room (left, or was removed). */
  | { k: 'member'; room: string; user: string }
  /** The room is gone: none of its memberships hold. */
  | { k: 'room'; room: string }
  /** The user changed (profile, role, ban): the snapshot must be read again. */
  | { k: 'user'; user: string }
  /** The member's mute changed: read it again. */
  | { k: 'mute'; room: string; user: string }
  /** The user's rooms changed (joined or created one): the own view must be read again. */
  | { k: 'rooms'; user: string }
  /** The user blocked or unblocked someone: their list must be read again. */
  | { k: 'blocks'; user: string }

/** One write's announcement: its ticket, and what it made stale (nothing when it changed nothing). */
export type StateNotice = Notice<StateEvent>

/**
 * `{n, e: [...]}`; a payload of the version before tickets (one event, `{k, ...}`) still decodes,
 * as a notice without a ticket, so that its events are honoured during a rolling upgrade.
 */
export const stateChannel: Channel<StateNotice> = {
  name: 'chat:state',
  encode: (notice) => JSON.stringify(notice),
  decode: (raw) => {
    const v = JSON.parse(raw) as StateNotice | StateEvent
    return 'k' in v ? { n: 0, e: [v] } : v
  },
}

/** How long an entry may be used without a notice about it: the bound for writes around the app. */
export const ENTRY_MS = 10 * 60_000
/** How often the last ticket is read: a lost notice is noticed within two of these. */
export const CHECK_MS = 5_000
const MAX_MEMBERS = 100_000
const MAX_SENDERS = 50_000
const MAX_OWN = 50_000

export interface ChatStateOptions {
  now?: () => number
  checkMs?: number
  /** Called when a lost notice made this instance drop everything it kept. */
  onLost?: () => void
}

export interface Sender extends UserSnapshot {
  banned: boolean
  /** Muted in every room until then (epoch ms; a freeze with minutes), 0 when not. */
  mutedUntil: number
}

/** What the user's own view is made of: the record, the ids of its rooms (in join order) and of the users it blocks. */
export interface Own {
  user: UserRecord
  rooms: string[]
  blocked: string[]
}

export class ChatState {
  /** room → user → until when the membership may be used. Map order doubles as an LRU. */
  private readonly members = new Map<string, Map<string, number>>()
  private memberEntries = 0
  private readonly senders = new Map<string, { sender: Sender; until: number }>()
  /** `room:user` → until when muted (0: not), and until when that answer may be used. */
  private readonly mutes = new Map<string, { muted: number; until: number }>()
  /** user → the ids they block, and until when that answer may be used. */
  private readonly blocked = new Map<string, { ids: ReadonlySet<string>; until: number }>()
  /** room → a direct room's two users, or null for a room of any other kind (a room never changes kind). */
  private readonly pairs = new Map<string, { pair: readonly [string, string] | null; until: number }>()
  /** user → the own view. Map order doubles as an LRU. */
  private readonly owns = new Map<string, { own: Own; until: number }>()
  /** Bumped by every event: a store read that overlapped one is not cached. */
  private epoch = 0
  private readonly now: () => number
  private readonly notices: TicketedChannel<StateEvent>

  constructor(
    private readonly store: Store,
    bus: Bus,
    options: ChatStateOptions = {},
  ) {
    this.now = options.now ?? Date.now
    const onLost = options.onLost ?? (() => {})
    this.notices = new TicketedChannel(
      bus,
      stateChannel,
      {
        receive: (events) => {
          for (const e of events) this.apply(e)
        },
        lost: (cause) => {
          this.clear()
          if (cause === 'gap') onLost()
        },
      },
      options.checkMs ?? CHECK_MS,
    )
  }

  /** Subscribes to the notices of every instance and starts checking tickets; resolves when listening. */
  async start(): Promise<void> {
    await this.notices.start()
  }

  stop(): void {
    this.notices.stop()
  }

  /** Whether the user is a member of the room (cached when yes). */
  async isMember(roomId: string, userId: string): Promise<boolean> {
    const until = this.members.get(roomId)?.get(userId)
    if (until !== undefined && until > this.now()) return true
    const epoch = this.epoch
    const yes = await this.store.rooms.isMember(roomId, userId)
    if (yes && epoch === this.epoch) this.rememberMember(roomId, userId)
    return yes
  }

  /** The user as a message shows its sender, or null when there is no such user. */
  async sender(userId: string): Promise<Sender | null> {
    const hit = this.senders.get(userId)
    if (hit && hit.until > this.now()) return hit.sender
    const epoch = this.epoch
    const user = await this.store.users.get(userId)
    if (!user) return null
    const sender: Sender = {
      id: user.id,
      username: user.username,
      displayName: user.displayName,
      avatar: user.avatar ?? null,
      banned: user.banned,
      ...(user.kind === 'bot' ? { bot: true } : {}),
      mutedUntil: user.mutedUntil?.getTime() ?? 0,
    }
    if (epoch === this.epoch) {
      this.senders.delete(userId)
      this.senders.set(userId, { sender, until: this.now() + ENTRY_MS })
      if (this.senders.size > MAX_SENDERS) this.senders.delete(this.senders.keys().next().value!)
    }
    return sender
  }

  /**
   * Until when (epoch ms) the member is muted, 0 when not. Cached either way: unlike a
   * membership, a mute is set by a write that goes through `watch`, which drops the entry.
   */
  async mutedUntil(roomId: string, userId: string): Promise<number> {
    const key = `${roomId}:${userId}`
    const hit = this.mutes.get(key)
    if (hit && hit.until > this.now()) return hit.muted
    const epoch = this.epoch
    const muted = (await this.store.rooms.mutedUntil(roomId, userId))?.getTime() ?? 0
    if (epoch === this.epoch) {
      this.mutes.delete(key)
      this.mutes.set(key, { muted, until: this.now() + ENTRY_MS })
      if (this.mutes.size > MAX_MEMBERS) this.mutes.delete(this.mutes.keys().next().value!)
    }
    return muted
  }

  /**
   * The ids the user blocks. Cached either way, as a mute is: every block and unblock goes
   * through `watch`, which drops the entry on every instance.
   */
  async blocks(userId: string): Promise<ReadonlySet<string>> {
    const hit = this.blocked.get(userId)
    if (hit && hit.until > this.now()) return hit.ids
    const epoch = this.epoch
    const ids: ReadonlySet<string> = new Set(await this.store.blocks.list(userId))
    if (epoch === this.epoch) {
      this.blocked.delete(userId)
      this.blocked.set(userId, { ids, until: this.now() + ENTRY_MS })
      if (this.blocked.size > MAX_SENDERS) this.blocked.delete(this.blocked.keys().next().value!)
    }
    return ids
  }

  /** A direct room's two users, null for any other room (or none). */
  async dmPair(roomId: string): Promise<readonly [string, string] | null> {
    const hit = this.pairs.get(roomId)
    if (hit && hit.until > this.now()) return hit.pair
    const epoch = this.epoch
    const room = await this.store.rooms.get(roomId)
    const pair = room?.kind === 'dm' && room.dm ? room.dm : null
    if (room && epoch === this.epoch) {
      this.pairs.delete(roomId)
      this.pairs.set(roomId, { pair, until: this.now() + ENTRY_MS })
      if (this.pairs.size > MAX_MEMBERS) this.pairs.delete(this.pairs.keys().next().value!)
    }
    return pair
  }

  /** The user's record, rooms and blocks, or null when there is no such user. Not to be mutated. */
  async own(userId: string): Promise<Own | null> {
    const hit = this.owns.get(userId)
    if (hit && hit.until > this.now()) return hit.own
    const epoch = this.epoch
    const [user, rooms, blocked] = await Promise.all([
      this.store.users.get(userId),
      this.store.rooms.roomsOf(userId),
      this.store.blocks.list(userId),
    ])
    if (!user) return null
    const own = { user, rooms, blocked }
    if (epoch === this.epoch) {
      this.owns.delete(userId)
      this.owns.set(userId, { own, until: this.now() + ENTRY_MS })
      if (this.owns.size > MAX_OWN) this.owns.delete(this.owns.keys().next().value!)
    }
    return own
  }

  /** Drops what is kept about these users here, as their notices would (a freeze's fence). */
  forgetUsers(ids: string[]): void {
    for (const user of ids) this.apply({ k: 'user', user })
  }

  /** Entries held, for tests and metrics. */
  size(): { members: number; senders: number; owns: number } {
    return { members: this.memberEntries, senders: this.senders.size, owns: this.owns.size }
  }

  /**
   * The store, with every write that can make a cached answer wrong announced: dropped here at
   * once, then published to every instance under a ticket taken before the write, before the
   * write's caller goes on.
   */
  watch(store: Store): Store {
    /**
     * Runs a write under a ticket and announces what it made stale: `events` unless `changed`
     * says the write did nothing. A write that failed may still have been applied (a timeout
     * after the store took it), so its events are announced too.
     */
    const announced = async <R>(
      events: StateEvent[],
      write: () => Promise<R>,
      changed: (result: R) => boolean = () => true,
    ): Promise<R> => {
      const n = await this.notices.take()
      let stale = events
      try {
        const result = await write()
        if (!changed(result)) stale = []
        return result
      } finally {
        for (const e of stale) this.apply(e)
        await this.notices.publish(n, stale)
      }
    }
    const rooms = store.rooms
    const users = store.users
    const blocks = store.blocks
    const leaving = store.leaving
    return {
      ...store,
      // A deleted account sends nothing more, and no cached view may still show its names.
      leaving: {
        ...leaving,
        markDeleted: (id) =>
          announced(
            [{ k: 'user', user: id }],
            () => leaving.markDeleted(id),
            (user) => user !== null,
          ),
      },
      blocks: {
        ...blocks,
        add: (userId, otherId, at, max) =>
          announced(
            [{ k: 'blocks', user: userId }],
            () => blocks.add(userId, otherId, at, max),
            (result) => result === 'added',
          ),
        remove: (userId, otherId) =>
          announced(
            [{ k: 'blocks', user: userId }],
            () => blocks.remove(userId, otherId),
            (removed) => removed,
          ),
      },
      rooms: {
        ...rooms,
        create: (room) => announced([{ k: 'rooms', user: room.creator.id }], () => rooms.create(room)),
        openDm: (room) =>
          announced(
            room.dm.map((user) => ({ k: 'rooms', user })),
            () => rooms.openDm(room),
          ),
        // A join refused as 'barred' or 'full' may have held a membership for a moment (the
        // MongoDB adapter inserts, then checks): a read on another instance may have cached it.
        join: (roomId, userId, at) =>
          announced(
            [
              { k: 'rooms', user: userId },
              { k: 'member', room: roomId, user: userId },
            ],
            () => rooms.join(roomId, userId, at),
            (result) => result === 'joined' || result === 'barred' || result === 'full',
          ),
        leave: (roomId, userId) =>
          announced(
            [{ k: 'member', room: roomId, user: userId }],
            () => rooms.leave(roomId, userId),
            (left) => left,
          ),
        mute: (roomId, userId, until, entry) =>
          announced([{ k: 'mute', room: roomId, user: userId }], () =>
            rooms.mute(roomId, userId, until, entry),
          ),
        // A kick or ban: the membership ends on every instance at once, whatever the store said.
        exclude: (roomId, userId, bar, entry) =>
          announced([{ k: 'member', room: roomId, user: userId }], () =>
            rooms.exclude(roomId, userId, bar, entry),
          ),
        delete: (roomId) =>
          announced(
            [{ k: 'room', room: roomId }],
            () => rooms.delete(roomId),
            (deleted) => deleted,
          ),
      },
      users: {
        ...users,
        update: (id, patch) =>
          announced(
            [{ k: 'user', user: id }],
            () => users.update(id, patch),
            (user) => typeof user === 'object' && user !== null,
          ),
        swapAvatar: (id, avatar) =>
          announced(
            [{ k: 'user', user: id }],
            () => users.swapAvatar(id, avatar),
            (swapped) => swapped !== null,
          ),
        // A freeze: every user it covers in one notice.
        freezeMany: (ids, change) =>
          announced(
            ids.map((user) => ({ k: 'user', user })),
            () => users.freezeMany(ids, change),
          ),
        extendVip: (id, days, now) =>
          announced(
            [{ k: 'user', user: id }],
            () => users.extendVip(id, days, now),
            (user) => user !== null,
          ),
      },
    }
  }

  private apply(e: StateEvent): void {
    this.epoch++
    switch (e.k) {
      case 'member': {
        const room = this.members.get(e.room)
        if (room?.delete(e.user)) this.memberEntries--
        this.owns.delete(e.user)
        return
      }
      case 'room': {
        this.pairs.delete(e.room)
        const room = this.members.get(e.room)
        if (room) {
          this.memberEntries -= room.size
          this.members.delete(e.room)
        }
        // Its members are not known here; deleting a room is rare, a scan is fine.
        for (const [user, { own }] of this.owns) if (own.rooms.includes(e.room)) this.owns.delete(user)
        return
      }
      case 'user':
        this.senders.delete(e.user)
        this.owns.delete(e.user)
        return
      case 'rooms':
        this.owns.delete(e.user)
        return
      case 'mute':
        this.mutes.delete(`${e.room}:${e.user}`)
        return
      case 'blocks':
        this.blocked.delete(e.user)
        this.owns.delete(e.user)
        return
    }
  }

  private clear(): void {
    this.epoch++
    this.members.clear()
    this.memberEntries = 0
    this.senders.clear()
    this.mutes.clear()
    this.blocked.clear()
    this.pairs.clear()
    this.owns.clear()
  }

  private rememberMember(roomId: string, userId: string): void {
    let room = this.members.get(roomId)
    if (room) {
      // Most recently used room last.
      this.members.delete(roomId)
    } else {
      room = new Map()
    }
    this.members.set(roomId, room)
    if (!room.has(userId)) this.memberEntries++
    room.set(userId, this.now() + ENTRY_MS)
    while (this.memberEntries > MAX_MEMBERS) {
      const [oldestId, oldest] = this.members.entries().next().value!
      if (oldest === room && this.members.size === 1) {
        // One huge room: drop its oldest members.
        const first = room.keys().next().value!
        room.delete(first)
        this.memberEntries--
      } else {
        this.members.delete(oldestId)
        this.memberEntries -= oldest.size
      }
    }
  }
}
