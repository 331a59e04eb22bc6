// What leaving needs of the store: a user's own things found by owner (their messages, files,
// posts, sessions) in keyset pages, and the account made a tombstone. Declared apart from the
// other parts so each adapter keeps it in files of its own.
import type {
  FileRecord,
  MessageRecord,
  PostRecord,
  SessionRecord,
  UserRecord,
  UserSnapshot,
} from './records.ts'

/** The display name a deleted account shows wherever it appears. */
export const DELETED_NAME = 'deleted user'

export interface LeaveStore {
  /** The ids of the rooms the user has messages in (deleted ones included), in no particular order. */
  roomsAuthored(userId: string): Promise<string[]>
  /**
   * Up to `limit` of the user's messages (not updates) in one room, in seq order after `afterSeq`;
   * `live` keeps the ones not deleted.
   */
  authored(
    userId: string,
    roomId: string,
    afterSeq: number,
    limit: number,
    live?: boolean,
  ): Promise<MessageRecord[]>
  /** Up to `limit` files the user uploaded, by id after `afterId` ('' for the first page). */
  files(userId: string, afterId: string, limit: number): Promise<FileRecord[]>
  /** Takes the files off the user's messages: a file message then shows its file as gone. */
  dropFileRefs(userId: string): Promise<void>
  /** Up to `limit` posts the user wrote, by id after `afterId` ('' for the first page). */
  posts(userId: string, afterId: string, limit: number): Promise<PostRecord[]>
  /** Removes the posts the user wrote and those on their wall; returns how many. */
  removePosts(userId: string): Promise<number>
  /** Every session of the user (live or not), oldest first. */
  sessions(userId: string): Promise<SessionRecord[]>
  /**
   * Makes the account a tombstone: `deleted`, displayed as `DELETED_NAME`, no bio, password,
   * second factor, mail address, avatar or admin role. The name keys stay the user's, so the
   * username (and anything confusable with it) is never given to anyone else. Null when there
   * is no such user.
   */
  markDeleted(userId: string): Promise<UserRecord | null>
  /**
   * Replaces the user's snapshot wherever one was stored: the sender of their messages and
   * updates, the quoted author of replies to them, the creator of their rooms.
   */
  renameAuthor(userId: string, snapshot: UserSnapshot): Promise<void>
}
