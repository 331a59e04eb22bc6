// Sessions: a store record per login, named in the JWT. Checking one must not cost a store
// round trip per request, so each instance caches the answer; a revocation is published on the
// bus and every instance marks the session dead at once and closes its sockets.
//
// A revocation that does not arrive is noticed (src/bus/ticketed.ts): it is published under a
// ticket taken before the store write, and a ticket that never arrives (the notice lost, its
// writer dead between the write and the publish, or the write failed with an unknown outcome,
// which is left unannounced on purpose) tells every instance within two checks, as a bus
// resync does. Then the cache is dropped and `onUnsure` listeners check the sessions they hold
// open against the store. So a cached "valid" may live long (CACHE_MS, a bound kept for writes
// made around the application).

import type { Bus } from '../bus/bus.ts'
import type { Channel } from '../bus/channel.ts'
import { type Notice, TicketedChannel } from '../bus/ticketed.ts'
import { newId } from '../ids.ts'
import type { SessionRecord } from '../store/records.ts'
import type { Store } from '../store/store.ts'

interface Revocation {
  /** The user (for many at once, the first of `users`). */
  userId: string
  sessions: string[]
  /** Many users' sessions in one notice (a freeze); an instance of the version before reads `sessions` alone. */
  users?: string[]
}

/**
 * One revocation per notice, sent as `{n, userId, sessions}`: the shape of the version before
 * tickets plus `n`, so that old and new instances understand each other's revocations during a
 * rolling upgrade (one without `n` is a notice without a ticket).
 */
export const revokedChannel: Channel<Notice<Revocation>> = {
  name: 'auth:revoked',
  encode: ({ n, e }) => {
    if (e.length !== 1) throw new Error('one revocation per notice')
    return JSON.stringify({ n, ...e[0] })
  },
  decode: (raw) => {
    const { n = 0, ...r } = JSON.parse(raw) as Revocation & { n?: number }
    return { n, e: Array.isArray(r.sessions) ? [r] : [] }
  },
}
/** How long a session's answer may be used without a notice about it. */
export const CACHE_MS = 10 * 60_000
/** How often the last revocation ticket is read: a lost one is noticed within two of these. */
export const CHECK_MS = 5_000
const CACHE_MAX = 100_000

export type RevocationListener = (r: Revocation) => void

export interface SessionServiceOptions {
  checkMs?: number
  /** Called when a revocation may have been missed (besides the `onUnsure` listeners). */
  onLost?: () => void
}

export class SessionService {
  /** sid → the answer and when to ask the store again. Map order doubles as an LRU. */
  private readonly cache = new Map<string, { userId: string | null; until: number }>()
  private readonly listeners: RevocationListener[] = []
  private readonly unsureListeners: (() => void)[] = []
  private readonly notices: TicketedChannel<Revocation>

  constructor(
    private readonly store: Store,
    bus: Bus,
    private readonly ttlDays: number,
    options: SessionServiceOptions = {},
  ) {
    this.notices = new TicketedChannel(
      bus,
      revokedChannel,
      {
        receive: (revocations) => {
          for (const r of revocations) {
            for (const sid of r.sessions) this.remember(sid, null, Number.POSITIVE_INFINITY)
            for (const l of this.listeners) l(r)
          }
        },
        lost: (cause) => {
          if (cause === 'gap') options.onLost?.()
          this.unsure()
        },
      },
      options.checkMs ?? CHECK_MS,
    )
  }

  /** Subscribes to revocations from every instance; resolves when listening. */
  async start(): Promise<void> {
    await this.notices.start()
  }

  stop(): void {
    this.notices.stop()
  }

  /** Called on every instance when sessions are revoked anywhere (to close their sockets). */
  onRevoked(listener: RevocationListener): void {
    this.listeners.push(listener)
  }

  /**
   * Called when revocations may have been missed (a notice lost, the bus reconnected): the
   * sessions held open (sockets) must be checked again with `isLive`, which asks the store.
   */
  onUnsure(listener: () => void): void {
    this.unsureListeners.push(listener)
  }

  /** `days`: how long it lives (a bot's session lives far longer than a login's). */
  async create(userId: string, days = this.ttlDays): Promise<SessionRecord> {
    const now = new Date()
    const session: SessionRecord = {
      id: newId(),
      userId,
      createdAt: now,
      expiresAt: new Date(now.getTime() + days * 86_400_000),
      revokedAt: null,
    }
    await this.store.sessions.create(session)
    this.remember(session.id, userId, Date.now() + CACHE_MS)
    return session
  }

  /**
   * What this instance already knows of the session, without waiting: as `isLive`, or undefined
   * when only the store can tell (then call `isLive`). Lets a request with a known session go on
   * in the same turn of the event loop.
   */
  knownLive(sid: string, userId: string): boolean | undefined {
    const hit = this.cache.get(sid)
    if (hit && hit.until > Date.now()) return hit.userId === userId
    return undefined
  }

  /** True when the session exists, belongs to `userId`, and is neither revoked nor expired. */
  async isLive(sid: string, userId: string): Promise<boolean> {
    const now = Date.now()
    const hit = this.cache.get(sid)
    if (hit && hit.until > now) return hit.userId === userId
    const s = await this.store.sessions.get(sid)
    const live = s !== null && s.revokedAt === null && s.expiresAt.getTime() > now
    this.remember(
      sid,
      live ? s.userId : null,
      live ? Math.min(now + CACHE_MS, s.expiresAt.getTime()) : Number.POSITIVE_INFINITY,
    )
    return live && s.userId === userId
  }

  // A write that fails leaves its ticket unannounced: it may have been applied (a timeout after
  // the store took it), so every instance is to treat it as a lost revocation.
  async revoke(sid: string, userId: string): Promise<void> {
    const n = await this.notices.take()
    await this.store.sessions.revoke(sid, new Date())
    await this.announce(n, { userId, sessions: [sid] })
  }

  /** Revokes all of a user's sessions but `exceptSid` (a password change keeps the current one). */
  async revokeAll(userId: string, exceptSid?: string): Promise<void> {
    const n = await this.notices.take()
    const sessions = await this.store.sessions.revokeAllForUser(userId, new Date(), exceptSid)
    await this.announce(n, { userId, sessions })
  }

  /** Revokes every session of these users in one write, announced in one notice. */
  async revokeAllForUsers(userIds: string[]): Promise<number> {
    if (userIds.length === 0) return 0
    const n = await this.notices.take()
    const revoked = await this.store.sessions.revokeAllForUsers(userIds, new Date())
    await this.announce(n, { userId: userIds[0]!, users: userIds, sessions: revoked.map((r) => r.id) })
    return revoked.length
  }

  private async announce(n: number, r: Revocation): Promise<void> {
    for (const sid of r.sessions) this.remember(sid, null, Number.POSITIVE_INFINITY)
    await this.notices.publish(n, [r])
  }

  private unsure(): void {
    this.cache.clear()
    for (const l of this.unsureListeners) l()
  }

  private remember(sid: string, userId: string | null, until: number): void {
    this.cache.delete(sid)
    this.cache.set(sid, { userId, until })
    if (this.cache.size > CACHE_MAX) this.cache.delete(this.cache.keys().next().value!)
  }
}
