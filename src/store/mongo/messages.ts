// The MongoDB message store, assembled from its parts by job: appends (message-appends.ts),
// reads of a room's stream (message-reads.ts), edits, deletions and reactions
// (message-changes.ts), read markers and unread counts (message-unread.ts).
import type { Db } from 'mongodb'
import type { MessageStore } from '../store.ts'
import { mongoAppends } from './message-appends.ts'
import { mongoChanges } from './message-changes.ts'
import { mongoReads } from './message-reads.ts'
import { mongoUnread } from './message-unread.ts'

export function mongoMessages(db: Db): MessageStore {
  return { ...mongoAppends(db), ...mongoReads(db), ...mongoChanges(db), ...mongoUnread(db) }
}
