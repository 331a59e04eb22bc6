// What the Store keeps for reaching people who are away: push subscriptions, notification
// settings, single-use tokens (address verification, password reset), the claims on mail
// addresses, and the queue of work due once across instances (jobs). Plain data, string ids,
// Date times, as in records.ts.

/** A browser's push subscription (`PushSubscription.toJSON()`), one per endpoint. */
export interface PushSubscriptionRecord {
  id: string
  userId: string
  endpoint: string
  /** The browser's P-256 public key (base64url) and auth secret (base64url), RFC 8291. */
  p256dh: string
  auth: string
  createdAt: Date
}

export type EmailMode = 'off' | 'mentions' | 'digest'
/** `mentions` (the default): mentions, replies and direct messages; `all`: every message; `none`. */
export type RoomLevel = 'all' | 'mentions' | 'none'

export interface NotifySettingsRecord {
  userId: string
  push: boolean
  email: EmailMode
  /** Only the rooms set to something other than the default `mentions`. */
  rooms: Record<string, RoomLevel>
}

export interface NotifySettingsPatch {
  push?: boolean
  email?: EmailMode
  /** `mentions` puts a room back to the default. */
  rooms?: Record<string, RoomLevel>
}

export type TokenKind = 'verify' | 'reset'

/** A single-use token: only its SHA-256 is stored, never the token itself. */
export interface TokenRecord {
  /** SHA-256 of the token, hex. */
  hash: string
  kind: TokenKind
  userId: string
  /** The address a verification is for (a later change of address makes the token worthless). */
  email: string | null
  expiresAt: Date
  createdAt: Date
}

export type JobKind = 'event' | 'push' | 'mail' | 'digest' | 'fold'

/**
 * One piece of work that must happen once across instances. Its id is its key (the event, the
 * subscription, the window): enqueueing an id that exists (done or not) does nothing, so work
 * done again after a crash never produces a second job. A job is claimed with a lease (owner
 * and expiry); a lease that lapses (its owner died) lets another instance claim it.
 * A job with a `group` is an entry waiting for the job that gathers its group (a digest, a
 * fold of capped pushes): never claimed on its own.
 */
export interface JobRecord {
  id: string
  kind: JobKind
  group: string | null
  dueAt: Date
  /** Plain JSON (kept as text by both stores). */
  payload: Record<string, unknown>
  attempts: number
  owner: string | null
  leaseUntil: Date | null
  doneAt: Date | null
  createdAt: Date
}

/** A new job: what enqueueing takes. */
export type NewJob = Pick<JobRecord, 'id' | 'kind' | 'dueAt' | 'payload'> & { group?: string | null }

export interface QueueStats {
  /** Jobs not done and not waiting in a group. */
  depth: number
  /** The due time of the oldest of them, null when none. */
  oldestDueAt: Date | null
}
