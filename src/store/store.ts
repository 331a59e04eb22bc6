// The Store port: everything that must survive a restart and be shared by every instance.
// Two adapters implement it: SQLite (embedded, one process) and MongoDB (scaled, many).
// test/contract/store.test.ts runs one suite against both; a guarantee written here is tested there.
import type { CursorKey } from '../pagination.ts'
import type { LookupTerm } from '../search/terms.ts'
import type { IntegrationCursor, IntegrationRecord } from './integration-records.ts'
import type { LeaveStore } from './leave-store.ts'
import type { NotifyParts } from './notify-store.ts'
import type {
  AuditAction,
  AuditRecord,
  BotTokenRecord,
  CodeRecord,
  CodeStatus,
  CodeType,
  FileRecord,
  FreezeChange,
  MemberRecord,
  MessageRecord,
  NewMessage,
  PinRecord,
  PostRecord,
  ReportDecision,
  ReportRecord,
  RoomBar,
  RoomRecord,
  SessionRecord,
  UserPatch,
  UserRecord,
  WebhookRecord,
} from './records.ts'

export interface UserStore {
  /**
   * Inserts a user, or inserts nothing and says why:
   * - `'taken'`: the username exists (compared case-insensitively), or is confusable with another
   *   user's username or display name (they share a key of `nameKeys`, src/store/name-key.ts);
   * - `'name-taken'`: the display name is confusable with another user's username or display name.
   * Each key belongs to one user under a unique index, claimed by the write itself: of
   * concurrent creates of one name or of confusable names (on any instance), at most one is
   * `'created'` (exactly one for one name).
   */
  create(user: UserRecord): Promise<'created' | 'taken' | 'name-taken'>
  get(id: string): Promise<UserRecord | null>
  /** Case-insensitive lookup. */
  getByUsername(username: string): Promise<UserRecord | null>
  /**
   * Applies the patch and returns the updated user, or null when there is no such user. A new
   * `displayName` confusable with another user's username or display name is refused
   * (`'name-taken'`, nothing written), its keys claimed as in create; a key the user's names have
   * already (their username's, their display name's so far) is always theirs to keep.
   */
  update(id: string, patch: UserPatch): Promise<UserRecord | null | 'name-taken'>
  /**
   * Atomically sets `vipExpiresAt = max(now, vipExpiresAt) + days`; concurrent extensions all count.
   * Returns the updated user, or null when there is no such user.
   */
  extendVip(id: string, days: number, now: Date): Promise<UserRecord | null>
  /**
   * Sets the user's avatar file id (null: none) and returns the user as written with the id it
   * replaced, in one atomic step: of concurrent swaps each gets a different `previous`, so every
   * replaced file is removed by exactly one caller. Null when there is no such user.
   */
  swapAvatar(id: string, avatar: string | null): Promise<{ user: UserRecord; previous: string | null } | null>
  /** Admins who are not banned. */
  countAdmins(): Promise<number>
  /** The users of these ids that exist, in no particular order (ids that are not ids match nothing). */
  getMany(ids: string[]): Promise<UserRecord[]>
  /**
   * `limit + 1` users ordered by lowercased username (then id), after the cursor key
   * `[usernameLower, id]`. `q` keeps the users whose username or display name starts with it,
   * compared in lower case, every character of `q` taken literally (no wildcards).
   */
  list(query: UserListQuery): Promise<UserRecord[]>
  /**
   * The users whose `invitedBy` is one of `ids`, at most `limit`, in no particular order: one
   * query whatever the number of ids (indexed), so an invitation tree is walked a level at a time.
   */
  listInvitedBy(ids: string[], limit: number): Promise<UserRecord[]>
  /** Applies the freeze to every one of these users in one write; returns how many exist. */
  freezeMany(ids: string[], change: FreezeChange): Promise<number>
}

export interface UserListQuery {
  q?: string
  limit: number
  after: CursorKey | null
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
  /** Revokes every live session of these users in one write; returns what was revoked. */
  revokeAllForUsers(userIds: string[], at: Date): Promise<{ id: string; userId: string }[]>
}

export interface CodeListQuery {
  type?: CodeType
  status?: CodeStatus
  /** Keeps the codes held by this user (a member's own, or minted for them to hand out). */
  heldBy?: string
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
  /**
   * Revokes, in one write, every code still usable at `at` (not revoked, not used up, not expired)
   * that one of these users minted or holds; returns how many.
   */
  revokeOwnedBy(userIds: string[], at: Date): Promise<number>
}

export interface RoomListQuery {
  /** Keeps rooms whose name contains it, case-insensitively, taken literally. */
  q?: string
  /** Keeps the rooms this user is a member of. */
  memberOf?: string
  limit: number
  /** Busiest first: the key `[memberCount, id]` of the last room of the previous page. */
  after: CursorKey | null
}

/** `barred`: a kick's bar still runs or a ban holds (see `exclude`). */
export type JoinResult = 'joined' | 'already' | 'full' | 'missing' | 'barred'

export interface RoomStore {
  /** Inserts the room with its creator as its first member. */
  create(room: RoomRecord): Promise<void>
  get(id: string): Promise<RoomRecord | null>
  /**
   * Deletes the room, its members, its messages and its file records (not the bytes: those are
   * the Files port's, see RoomService.delete); false when there was no such room.
   */
  delete(id: string): Promise<boolean>
  /**
   * `limit + 1` rooms, most members first, then newest. With `memberOf`, a direct room the user
   * hid (`hide`) is left out until a message (not an update) with a seq above the hidden one.
   */
  list(query: RoomListQuery): Promise<RoomRecord[]>
  /**
   * Makes the user a member unless the room has `maxMembers` already, or a bar of the user in
   * force at `at` (`exclude`) keeps them out ('barred'). Concurrent joins never take a room past
   * `maxMembers`; a join racing an `exclude` with a bar never leaves a membership behind;
   * joining twice is 'already'. `memberCount` follows.
   */
  join(roomId: string, userId: string, at: Date): Promise<JoinResult>
  /** Ends the membership; false when the user was not a member. `memberCount` follows. */
  leave(roomId: string, userId: string): Promise<boolean>
  isMember(roomId: string, userId: string): Promise<boolean>
  /** `limit + 1` members in join order, after the cursor key `[ticket]`. */
  members(roomId: string, limit: number, after: CursorKey | null): Promise<MemberRecord[]>
  /** The ids of the rooms the user is a member of, in join order. */
  roomsOf(userId: string): Promise<string[]>
  /**
   * The one direct room of the pair `room.dm`: the stored one when it exists, else `room` is
   * stored with both users as members. Of concurrent calls for one pair (on any instance) all
   * get the same room: the pair is unique in the store.
   */
  openDm(room: RoomRecord & { dm: [string, string] }): Promise<RoomRecord>
  /**
   * Mutes the member until `until` (null lifts it). The last call wins. `entry`, when given, is
   * appended to the audit log with it (as in `exclude`).
   */
  mute(roomId: string, userId: string, until: Date | null, entry?: AuditRecord): Promise<void>
  /** Until when the member is muted, or null. */
  mutedUntil(roomId: string, userId: string): Promise<Date | null>
  /**
   * A moderator removes the user: `bar` (when given) keeps them from joining (a kick's bar
   * replaces the last kick's; a ban holds until `unbar`), the membership ends, and `entry` is
   * appended to the audit log. Embedded: one transaction. MongoDB (no transactions on
   * FerretDB 1.x): the bar, then the membership, then the entry, so a join racing it is refused
   * (see `join`) and no entry ever tells of a removal that was not made; a failure half way
   * fails the call, and the moderator's retry (idempotent) completes it. True when a membership ended.
   */
  exclude(roomId: string, userId: string, bar: RoomBar | null, entry: AuditRecord): Promise<boolean>
  /** Lifts the user's bars of the room (kick and ban) and appends `entry`, as `exclude` does; false (and no entry) when there was none. */
  unbar(roomId: string, userId: string, entry: AuditRecord): Promise<boolean>
  /** The bar in force at `now`: the ban, else a kick's bar that has not run out; null when none. */
  barOf(roomId: string, userId: string, now: Date): Promise<RoomBar | null>
  /**
   * Hides a direct room from the member's `list({memberOf})` until a message with a seq above
   * `seq` arrives; the membership and everything else stay. False when not a member.
   */
  hide(roomId: string, userId: string, seq: number): Promise<boolean>
  /** Lists a hidden room again (its member opened it). */
  unhide(roomId: string, userId: string): Promise<void>
}

/**
 * `overridden`: the edit was written while a deletion ran, and the deletion was applied again
 * over it: the message is deleted, but it changed under the deletion's own update, so the caller
 * must announce its state once more.
 */
export type EditResult = 'edited' | 'deleted' | 'overridden' | 'missing'

export interface UnreadRecord {
  room: string
  lastSeq: number
  readSeq: number
  unread: number
  mentions: number
}

export interface MessageStore {
  /**
   * Stores the message with the room's next seq: seqs start at 1 and have no gaps, even with
   * many instances appending at once. Idempotent by (room, sender, clientMsgId): a repeat
   * returns the message stored first, with `duplicate: true`, and stores nothing.
   * `hint` is the last seq the caller knows of (a guess that saves round trips).
   */
  append(message: NewMessage, hint?: number): Promise<{ message: MessageRecord; duplicate: boolean }>
  /**
   * Stores messages of one room as `append` would one after the other, in this order (seqs
   * still gapless, each clientMsgId still stored once, a repeat within the list included), in
   * one round trip when nothing collides. One result per message, in the same order.
   */
  appendMany(messages: NewMessage[], hint?: number): Promise<{ message: MessageRecord; duplicate: boolean }[]>
  /**
   * The message the sender stored in the room with this clientMsgId, as `append` returns it for a
   * repeat; null when there is none. For a repeat refused before it reaches `append` (a mute, a
   * rate limit), which still gets the first answer.
   */
  sent(roomId: string, senderId: string, clientMsgId: string): Promise<MessageRecord | null>
  /**
   * The room's stream in seq order: `after` (exclusive) upwards, or the newest below `before`
   * (exclusive). Messages come in their current state with their reactions; an `update` comes
   * with `current`, the message it changed in its current state.
   */
  range(roomId: string, query: { after?: number; before?: number; limit: number }): Promise<MessageRecord[]>
  /** Like `range`, messages only (no `update`s): a history page. */
  history(roomId: string, query: { after?: number; before?: number; limit: number }): Promise<MessageRecord[]>
  /** The message (not an update) of this seq in its current state, with its reactions. */
  get(roomId: string, seq: number): Promise<MessageRecord | null>
  /** The seq of the newest message or update, 0 when there is none. */
  lastSeq(roomId: string): Promise<number>
  /**
   * Replaces the text (and mentions) of a message. A deletion wins whatever the order: an edit
   * racing a deletion ends deleted ('deleted' when the deletion came first, 'overridden' when
   * it came while the edit was written).
   */
  edit(roomId: string, seq: number, text: string, mentions: string[], at: Date): Promise<EditResult>
  /**
   * Deletes a message: its text, mentions and file reference are gone from the store, only the
   * tombstone (seq, author, times) remains. Returns the message as it was, or null when there
   * is no such message or it was deleted already (once per message, however many race).
   */
  remove(roomId: string, seq: number): Promise<MessageRecord | null>
  /**
   * `remove` for many messages of one room, in one round trip (or a few) rather than one per
   * message: the messages as they were, of those this call deleted (each once, however many race).
   */
  removeMany(roomId: string, seqs: number[]): Promise<MessageRecord[]>
  /**
   * Adds the user's `emoji` to a message: 'added', 'already' (idempotent: of concurrent adds by
   * one user exactly one is 'added'), or 'full' when the message has `maxDistinct` emojis and
   * this is not one of them.
   */
  react(
    messageId: string,
    emoji: string,
    userId: string,
    maxDistinct: number,
    at: Date,
  ): Promise<'added' | 'already' | 'full'>
  /** Takes the user's `emoji` off a message; false when it was not there. */
  unreact(messageId: string, emoji: string, userId: string): Promise<boolean>
  /** Moves the member's read marker to `seq` unless it is there or further: it never moves back. True when it moved. */
  markRead(roomId: string, userId: string, seq: number): Promise<boolean>
  /** The member's read marker, 0 when none. */
  readSeq(roomId: string, userId: string): Promise<number>
  /**
   * For each room the user is a member of: the last seq, the read marker, the messages of others
   * after it that are not deleted, and those of them mentioning the user. Rooms with neither
   * unread messages nor mentions may be left out. A bounded number of round trips whatever the
   * count of rooms (SQLite: one query; MongoDB: two when `onlyRooms` names the candidates,
   * three otherwise, see the adapter). `onlyRooms` keeps these of the user's rooms (a page of
   * rooms, one room, or all of them as the caller knows them): a room named that the user is
   * not a member of is left out.
   */
  unread(userId: string, onlyRooms?: string[]): Promise<UnreadRecord[]>
}

/** The records of files posted in rooms (the bytes are the Files port's). */
export interface FileStore {
  create(file: FileRecord): Promise<void>
  /** The file of this id, or null (ids that are not ids match nothing). */
  get(id: string): Promise<FileRecord | null>
  /** Deletes one record; false when there was none. */
  delete(id: string): Promise<boolean>
}

export interface SearchQuery {
  /** The rooms to search: the caller decides which (the caller's rooms at the time of the search). */
  rooms: string[]
  /** Every one must be among the message's index terms (src/search/terms.ts). */
  terms: LookupTerm[]
  /** Only this author's messages. */
  from?: string
  /** Only messages with a file. */
  hasFile?: boolean
  /** `createdAt` bounds, both exclusive. */
  after?: Date
  before?: Date
  /** Candidates to examine at most. */
  limit: number
  /** Newest first: `next` of the previous call, null for the first. */
  cursor: string | null
}

/**
 * Message search. Each message (not an update) is indexed under the terms of its text when it
 * is appended, again when it is edited, and not at all once deleted, in the same write as the
 * message itself: a search never sees a message that is not stored or misses one that is.
 */
export interface SearchStore {
  /**
   * Candidates: messages of `rooms`, not deleted, whose terms include every one of `terms` (an
   * exact term, or a term starting with a prefix term) and that pass the filters, newest
   * first, at most `limit`, each with its key (a `cursor` resumes after it). `next` resumes after
   * the last one; null when none is left.
   * The caller checks each against the query (phrases, sequences): these are what the index found.
   */
  candidates(
    query: SearchQuery,
  ): Promise<{ items: { message: MessageRecord; key: string }[]; next: string | null }>
  /**
   * Indexes messages stored before the index existed, newest first, one batch of about `batch`
   * per call (each call's work is bounded by it); `done` when none is left, and from then on.
   * Safe to run while chat goes on, and resumable from any handle on the same data: where it
   * stands is kept in the store, and what is indexed stays.
   */
  backfill(batch: number): Promise<{ indexed: number; done: boolean }>
  /**
   * Takes or renews the lease `name` for `holder` until `now + ms`: true when the holder has
   * it. Of holders asking at once, on any instance, one has it until it lapses or is released.
   */
  lease(name: string, holder: string, ms: number, now: Date): Promise<boolean>
  release(name: string, holder: string): Promise<void>
}

/** Pinned messages: at most `max` per room, latest pin first. */
export interface PinStore {
  /**
   * Pins the message: 'pinned', 'already' (idempotent: of concurrent pins of one message exactly
   * one is 'pinned'), or 'full' when the room has `max` pins and this is not one of them.
   */
  pin(pin: PinRecord, max: number): Promise<'pinned' | 'already' | 'full'>
  /** False when it was not pinned. */
  unpin(roomId: string, seq: number): Promise<boolean>
  /** The room's pins, latest first. */
  list(roomId: string): Promise<PinRecord[]>
}

export interface AuditListQuery {
  actor?: string
  action?: AuditAction
  /** The id of the user or room acted on. */
  target?: string
  limit: number
  /** Newest first: the key `[at (epoch ms), id]` of the last entry of the previous page. */
  after: CursorKey | null
}

/**
 * The audit log: append-only. Nothing here changes or removes an entry, so nothing above the
 * port can (entries go with their room's or user's deletion neither).
 */
export interface AuditStore {
  append(entry: AuditRecord): Promise<void>
  /** `limit + 1` entries, newest first (by `at`, then id), matching every filter given. */
  list(query: AuditListQuery): Promise<AuditRecord[]>
}

/** Who blocks whom: a user's list of the users they block. */
export interface BlockStore {
  /**
   * Adds `otherId` to the user's blocks: 'added', 'already' (idempotent: of concurrent adds of one
   * pair exactly one is 'added'), or 'full' when the user blocks `max` users already.
   */
  add(userId: string, otherId: string, at: Date, max: number): Promise<'added' | 'already' | 'full'>
  /** False when the user did not block them. */
  remove(userId: string, otherId: string): Promise<boolean>
  /** The ids the user blocks, newest first. */
  list(userId: string): Promise<string[]>
}

export interface ReportListQuery {
  status?: ReportRecord['status']
  /** Keeps the reports of rooms this user created (a room creator's view); none: all of them. */
  roomCreator?: string
  limit: number
  /** Newest first: the key `[id]` of the last report of the previous page. */
  after: CursorKey | null
}

/** Reports of messages, with their decisions. */
export interface ReportStore {
  /**
   * Stores the report unless its reporter has an open report of the same message ('duplicate',
   * nothing stored): unique in the store, so of concurrent reports (on any instance) one is
   * 'created'.
   */
  create(report: ReportRecord): Promise<'created' | 'duplicate'>
  get(id: string): Promise<ReportRecord | null>
  /** `limit + 1` reports, newest first (by id), matching every filter given. */
  list(query: ReportListQuery): Promise<ReportRecord[]>
  /**
   * Decides an open report: the report after the decision, or null when it is not open (decided
   * already, or no such report). Conditional on `open`: of concurrent decisions one wins.
   */
  decide(
    id: string,
    by: ReportRecord['decidedBy'] & {},
    decision: ReportDecision,
  ): Promise<ReportRecord | null>
  /**
   * Opens again a report this `decision` decided (its action failed); false when something else
   * changed it since. The reporter's open report of the message is unique still: false when they
   * reported it again in between.
   */
  reopen(id: string, decision: ReportDecision): Promise<boolean>
}

/** Bots' tokens (the bots themselves are users of kind `bot`). */
export interface BotStore {
  putToken(token: BotTokenRecord): Promise<void>
  /** The token of this session, or null (ids that are not ids match nothing). */
  token(sessionId: string): Promise<BotTokenRecord | null>
  /** The ids of the users that ever had a token (the bots), oldest first. */
  botIds(): Promise<string[]>
}

/** Incoming webhooks: at most `max` per room. */
export interface WebhookStore {
  /**
   * Stores the webhook unless its room has `max` already ('full', nothing stored). Each one takes
   * a numbered place of its room, unique in the store: concurrent creates (on any instance)
   * never pass `max`.
   */
  create(hook: WebhookRecord, max: number): Promise<'created' | 'full'>
  /** The webhook of this id, or null (ids that are not ids match nothing). */
  get(id: string): Promise<WebhookRecord | null>
  /** A room's webhooks, oldest first. */
  list(roomId: string): Promise<WebhookRecord[]>
  /** Deletes one (its place is free again); false when there was none. */
  delete(id: string): Promise<boolean>
  /** Deletes every webhook of the room (the room was deleted). */
  deleteByRoom(roomId: string): Promise<void>
}

/**
 * Outgoing integrations (src/integrations/): the integrations, a cursor per (integration, room)
 * and one lease per integration, so that one instance at a time delivers it.
 */
export interface IntegrationStore {
  /** Stores the integration with a cursor for each room given (the room's last seq then). */
  create(integration: IntegrationRecord, cursors: { room: string; seq: number }[]): Promise<void>
  get(id: string): Promise<IntegrationRecord | null>
  /** Every integration, oldest first. */
  list(): Promise<IntegrationRecord[]>
  count(): Promise<number>
  /** Deletes the integration, its cursors and its lease; false when there was none. */
  delete(id: string): Promise<boolean>
  /** The integration's cursors, in no particular order. */
  cursors(integration: string): Promise<IntegrationCursor[]>
  /** Adds cursors for rooms that have none yet; a room that has one keeps it (idempotent). */
  addCursors(integration: string, cursors: { room: string; seq: number }[]): Promise<void>
  /**
   * Moves each room's cursor forward to its `seq` (never back: of two writers the furthest wins)
   * and clears its `lastError`; `at` becomes `lastAttemptAt`. One round trip for all the rooms
   * (the deliverer writes every cursor that moved at once, about once a second).
   */
  advance(integration: string, cursors: { room: string; seq: number }[], at: Date): Promise<void>
  /** Records a failed attempt of the room's next event; the cursor stays. */
  failed(integration: string, room: string, error: string, at: Date): Promise<void>
  /**
   * The ids of the rooms other than direct rooms that have no cursor of this integration yet
   * (rooms created since an integration of `"all"` was made), at most `limit`.
   */
  roomsWithout(integration: string, limit: number): Promise<string[]>
  /**
   * Takes the lease of the integration for `owner` until `now + ms`, or renews it: true when
   * `owner` holds it. Of owners asking at once, on any instance, at most one holds it; a lease
   * that ran out (its owner died) is taken by the next who asks.
   */
  claim(integration: string, owner: string, ms: number, now: Date): Promise<boolean>
  /** Gives the lease up if `owner` holds it. */
  release(integration: string, owner: string): Promise<void>
}

/** The parts for reaching people who are away are declared in notify-store.ts. */
export interface Store extends NotifyParts {
  readonly kind: 'sqlite' | 'mongodb'
  readonly users: UserStore
  readonly sessions: SessionStore
  readonly codes: CodeStore
  readonly posts: PostStore
  readonly rooms: RoomStore
  readonly messages: MessageStore
  readonly files: FileStore
  readonly search: SearchStore
  readonly pins: PinStore
  readonly audit: AuditStore
  readonly blocks: BlockStore
  readonly reports: ReportStore
  readonly bots: BotStore
  readonly webhooks: WebhookStore
  readonly integrations: IntegrationStore
  /** A user's own things by owner, and the account's tombstone (leave-store.ts). */
  readonly leaving: LeaveStore
  /** Resolves when the store answers; throws otherwise. */
  ping(): Promise<void>
  close(): Promise<void>
}
