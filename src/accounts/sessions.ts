// Sessions: a store record per login, named in the JWT. Checking one must not cost a store
// round trip per request, so each instance caches the answer for a short while; a revocation
// is published on the bus and every instance marks the session dead at once. A revocation lost
// while an instance's bus connection was down is covered twice: the bus resync clears the
// cache, and no cached "valid" outlives CACHE_MS anyway.

import type { Bus } from '../bus/bus.ts'
import { newId } from '../ids.ts'
import type { SessionRecord } from '../store/records.ts'
import type { Store } from '../store/store.ts'

const CHANNEL = 'auth:revoked'
const CACHE_MS = 30_000
const CACHE_MAX = 100_000

interface Revocation {
  userId: string
  sessions: string[]
}

export type RevocationListener = (r: Revocation) => void

export class SessionService {
  /** sid → the answer and when to ask the store again. Map order doubles as an LRU. */
  private readonly cache = new Map<string, { userId: string | null; until: number }>()
  private readonly listeners: RevocationListener[] = []

  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly ttlDays: number,
  ) {}

  /** Subscribes to revocations from every instance; resolves when listening. */
  async start(): Promise<void> {
    this.bus.onResync(() => this.cache.clear())
    await this.bus.subscribe(CHANNEL, (raw) => {
      const r = JSON.parse(raw) as Revocation
      for (const sid of r.sessions) this.remember(sid, null, Number.POSITIVE_INFINITY)
      for (const l of this.listeners) l(r)
    })
  }

  /** Called on every instance when sessions are revoked anywhere (to close their sockets). */
  onRevoked(listener: RevocationListener): void {
    this.listeners.push(listener)
  }

  async create(userId: string): Promise<SessionRecord> {
    const now = new Date()
    const session: SessionRecord = {
      id: newId(),
      userId,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.ttlDays * 86_400_000),
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

  async revoke(sid: string, userId: string): Promise<void> {
    await this.store.sessions.revoke(sid, new Date())
    await this.announce({ userId, sessions: [sid] })
  }

  /** Revokes all of a user's sessions but `exceptSid` (a password change keeps the current one). */
  async revokeAll(userId: string, exceptSid?: string): Promise<void> {
    const sessions = await this.store.sessions.revokeAllForUser(userId, new Date(), exceptSid)
    await this.announce({ userId, sessions })
  }

  private async announce(r: Revocation): Promise<void> {
    for (const sid of r.sessions) this.remember(sid, null, Number.POSITIVE_INFINITY)
    await this.bus.publish(CHANNEL, JSON.stringify(r))
  }

  private remember(sid: string, userId: string | null, until: number): void {
    this.cache.delete(sid)
    this.cache.set(sid, { userId, until })
    if (this.cache.size > CACHE_MAX) this.cache.delete(this.cache.keys().next().value!)
  }
}
