// The Store's parts for reaching people who are away (see notify-records.ts). Both adapters
// implement them; test/contract/store-notify.test.ts runs one suite against both, with two
// handles on the same data as two instances have. A guarantee written here is tested there.
import type {
  JobRecord,
  NewJob,
  NotifySettingsPatch,
  NotifySettingsRecord,
  PushSubscriptionRecord,
  QueueStats,
  RoomLevel,
  TokenKind,
  TokenRecord,
} from './notify-records.ts'

export interface PushSubscriptionStore {
  /**
   * Stores the subscription, or updates the one with the same endpoint (its keys and user) and
   * keeps its id: one subscription per endpoint, even when two instances store it at once.
   * Returns the id stored.
   */
  upsert(sub: PushSubscriptionRecord): Promise<string>
  get(id: string): Promise<PushSubscriptionRecord | null>
  /** The user's subscriptions, oldest first. */
  ofUser(userId: string): Promise<PushSubscriptionRecord[]>
  /** Removes one; with `userId`, only when it is that user's. False when nothing was removed. */
  remove(id: string, userId?: string): Promise<boolean>
}

export interface NotifySettingsStore {
  /** The user's settings; the defaults (push on, mail off, every room `mentions`) when none stored. */
  get(userId: string): Promise<NotifySettingsRecord>
  /** Settings of many users in one round trip, in no particular order, defaults filled. */
  many(userIds: string[]): Promise<NotifySettingsRecord[]>
  /** Applies the patch (rooms merged in; `mentions` removes a room's entry) and returns the result. */
  update(userId: string, patch: NotifySettingsPatch): Promise<NotifySettingsRecord>
  /** The rooms any user set to `all` (what the send path asks before enqueueing). */
  roomsWithAll(): Promise<string[]>
  /** The users who set the room to this level. */
  usersAt(roomId: string, level: RoomLevel): Promise<string[]>
}

export interface TokenStore {
  create(token: TokenRecord): Promise<void>
  /**
   * Uses the token of this hash and kind if it has not expired at `now`, atomically: of concurrent
   * uses exactly one gets the record, and the token is gone after it.
   */
  consume(hash: string, kind: TokenKind, now: Date): Promise<TokenRecord | null>
  /** Removes the user's tokens of this kind (a new reset makes the older links worthless). */
  removeFor(userId: string, kind: TokenKind): Promise<void>
}

export interface EmailStore {
  /**
   * Claims a mail address (compared case-insensitively) for the user: `'taken'` when another
   * user holds it. Of concurrent claims of one address by different users exactly one wins.
   */
  claim(address: string, userId: string): Promise<'claimed' | 'taken'>
  /** Gives up the user's claim of the address (nothing when another user holds it). */
  release(address: string, userId: string): Promise<void>
  /** Who holds the address, or null. */
  owner(address: string): Promise<string | null>
}

export interface JobStore {
  /** Inserts the jobs whose ids are not stored yet (done or not); returns how many were new. */
  enqueue(jobs: NewJob[], now: Date): Promise<number>
  /**
   * Claims up to `limit` jobs due at `now` (not done, not in a group, no lease or a lapsed one),
   * oldest due first, for `owner` until `now + leaseMs`; `attempts` goes up by one. A job is
   * claimed by one caller at a time, however many instances claim at once.
   */
  claim(owner: string, now: Date, leaseMs: number, limit: number): Promise<JobRecord[]>
  /** Marks the job done, if `owner` still holds it. False when the lease was lost. */
  finish(id: string, owner: string, now: Date): Promise<boolean>
  /** Gives the job back, due at `dueAt` (a retry), if `owner` still holds it; `payload` replaces its payload when given. */
  retry(id: string, owner: string, dueAt: Date, payload?: Record<string, unknown>): Promise<boolean>
  /** Up to `limit` entries of a group that are not done, oldest first. */
  entries(group: string, limit: number): Promise<JobRecord[]>
  /** Marks these entries done. */
  finishEntries(ids: string[], now: Date): Promise<void>
  get(id: string): Promise<JobRecord | null>
  stats(now: Date): Promise<QueueStats>
  /** Deletes the jobs done before `before`; returns how many. */
  purge(before: Date): Promise<number>
}

export interface NotifyParts {
  readonly pushSubscriptions: PushSubscriptionStore
  readonly notifySettings: NotifySettingsStore
  readonly tokens: TokenStore
  readonly emails: EmailStore
  readonly jobs: JobStore
}
