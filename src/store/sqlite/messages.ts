// The SQLite message store, assembled from its parts by job: appends (message-appends.ts),
// reads of a room's stream (message-reads.ts), edits, deletions and reactions
// (message-changes.ts), read markers and unread counts (message-unread.ts).
import type { Database } from 'better-sqlite3'
import type { MessageStore } from '../store.ts'
import { sqliteAppends } from './message-appends.ts'
import { sqliteChanges } from './message-changes.ts'
import { sqliteReads } from './message-reads.ts'
import { sqliteUnread } from './message-unread.ts'
import type { SearchIndex } from './search-index.ts'

export function sqliteMessages(db: Database, search: SearchIndex): MessageStore {
  return {
    ...sqliteAppends(db, search),
    ...sqliteReads(db),
    ...sqliteChanges(db, search),
    ...sqliteUnread(db),
  }
}
