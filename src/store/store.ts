// The Store port: everything that must survive a restart and be shared by every instance.
// Two adapters implement it: SQLite (embedded, one process) and MongoDB (scaled, many).
// test/contract/store.test.ts runs one suite against both; a guarantee written here is tested there.
import type { CursorKey } from '../pagination.ts'
import type { CodeRecord, CodeStatus, CodeType, SessionRecord, UserPatch, UserRecord } from './records.ts'

export interface UserStore {
  /** Inserts a user. Throws `AppError(409, USERNAME_TAKEN)` when the username exists, compared case-insensitively. */
  create(user: UserRecord): Promise<void>
  get(id: string): Promise<UserRecord | null>
  /** Case-insensitive lookup. */
  getByUsername(username: string): Promise<UserRecord | null>
  /** Applies the patch and returns the updated user, or null when there is no such user. */
  update(id: string, patch: UserPatch): Promise<UserRecord | null>
  /**
   * Atomically sets `vipExpiresAt = max(now, vipExpiresAt) + days`; concurrent extensions all count.
   * Returns the updated user, or null when there is no such user.
   */
  extendVip(id: string, days: number, now: Date): Promise<UserRecord | null>
  countAdmins(): Promise<number>
  /** The users of these ids that exist, in no particular order (ids that are not ids match nothing). */
  getMany(ids: string[]): Promise<UserRecord[]>
  /**
   * `limit + 1` users ordered by lowercased username (then id), after the cursor key
   * `[usernameLower, id]`. `q` keeps the users whose username or display name starts with it,
   * compared in lower case, every character of `q` taken literally (no wildcards).
   */
  list(query: UserListQuery): Promise<UserRecord[]>
}

export interface UserListQuery {
  q?: string
  limit: number
  after: CursorKey | null
}

/** A guestbook message on the home wall (`wall: 'home'`) or on a user's wall (`wall: userId`). */
export interface PostRecord {
  id: string
  wall: string
  authorId: string
  text: string
  createdAt: Date
}

export interface PostListQuery {
  wall: string
  limit: number
  /** Newest first: the key `[id]` of the last post of the previous page. */
  after: CursorKey | null
}

export interface PostStore {
  create(post: PostRecord): Promise<void>
  /** Inserts many posts at once (imports, tests). */
  insertMany(posts: PostRecord[]): Promise<void>
  get(id: string): Promise<PostRecord | null>
  /** Deletes a post; false when there was no such post. */
  delete(id: string): Promise<boolean>
  /** `limit + 1` posts of one wall, newest first (by id), after the cursor key `[id]`. */
  list(query: PostListQuery): Promise<PostRecord[]>
}

export interface SessionStore {
  create(session: SessionRecord): Promise<void>
  get(id: string): Promise<SessionRecord | null>
  /** Marks one session revoked; true if it was live. */
  revoke(id: string, at: Date): Promise<boolean>
  /** Revokes every live session of a user but `exceptId`; returns the ids revoked. */
  revokeAllForUser(userId: string, at: Date, exceptId?: string): Promise<string[]>
}

export interface CodeListQuery {
  type?: CodeType
  status?: CodeStatus
  now: Date
  limit: number
  /** Newest first: the key of the last code of the previous page. */
  after: CursorKey | null
}

export interface CodeStore {
  insertMany(codes: CodeRecord[]): Promise<void>
  /**
   * Consumes one use of the code with this hash and type if it is neither used up, expired nor
   * revoked, atomically: of N concurrent redemptions of a one-use code exactly one gets the record.
   * Returns the code after the use, or null.
   */
  redeem(hash: string, type: CodeType, now: Date): Promise<CodeRecord | null>
  /** Gives back a use taken by `redeem` (the registration it was for failed). */
  release(id: string): Promise<void>
  get(id: string): Promise<CodeRecord | null>
  /** Revokes a code; false when there is no such code. */
  revoke(id: string, at: Date): Promise<boolean>
  /** `limit + 1` codes, newest first (by id), after the cursor key `[id]`. */
  list(query: CodeListQuery): Promise<CodeRecord[]>
}

export interface Store {
  readonly kind: 'sqlite' | 'mongodb'
  readonly users: UserStore
  readonly sessions: SessionStore
  readonly codes: CodeStore
  readonly posts: PostStore
  /** Resolves when the store answers; throws otherwise. */
  ping(): Promise<void>
  close(): Promise<void>
}
