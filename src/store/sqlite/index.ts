// The embedded Store: one SQLite file under DATA_DIR, in WAL mode. better-sqlite3 is
// synchronous, so every statement is atomic with respect to the others in this process.
import { closeSync, mkdirSync, openSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { DIR_MODE, FILE_MODE } from '../../data-dir.ts'
import type { Store } from '../store.ts'
import { sqliteAudit } from './audit.ts'
import { sqliteBlocks } from './blocks.ts'
import { sqliteBots } from './bots.ts'
import { sqliteCodes } from './codes.ts'
import { sqliteFiles } from './files.ts'
import { sqliteIntegrations } from './integrations.ts'
import { sqliteLeave } from './leave.ts'
import { sqliteMessages } from './messages.ts'
import { fillNameKeys } from './name-keys.ts'
import { sqliteNotify } from './notify.ts'
import { ensureNotifySchema } from './notify-schema.ts'
import { sqlitePins } from './pins.ts'
import { sqlitePosts } from './posts.ts'
import { sqliteReports } from './reports.ts'
import { sqliteRooms } from './rooms.ts'
import { migrate } from './schema.ts'
import { sqliteSearch } from './search.ts'
import { sqliteSearchIndex } from './search-index.ts'
import { sqliteSessions } from './sessions.ts'
import { sqliteUsers } from './users.ts'
import { sqliteWebhooks } from './webhooks.ts'

export function openSqliteStore(dataDir: string): Store {
  mkdirSync(dataDir, { recursive: true, mode: DIR_MODE })
  // Created 600 before SQLite opens it; SQLite gives its -wal and -shm files the same mode.
  const file = join(dataDir, 'chat.db')
  closeSync(openSync(file, 'a', FILE_MODE))
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  migrate(db)
  fillNameKeys(db)
  ensureNotifySchema(db)
  const searchIndex = sqliteSearchIndex(db)
  return {
    kind: 'sqlite',
    users: sqliteUsers(db),
    sessions: sqliteSessions(db),
    codes: sqliteCodes(db),
    posts: sqlitePosts(db),
    rooms: sqliteRooms(db),
    messages: sqliteMessages(db, searchIndex),
    files: sqliteFiles(db),
    search: sqliteSearch(db, searchIndex),
    pins: sqlitePins(db),
    audit: sqliteAudit(db),
    blocks: sqliteBlocks(db),
    reports: sqliteReports(db),
    bots: sqliteBots(db),
    webhooks: sqliteWebhooks(db),
    integrations: sqliteIntegrations(db),
    leaving: sqliteLeave(db),
    ...sqliteNotify(db),
    async ping() {
      db.prepare('SELECT 1').get()
    },
    async close() {
      if (db.open) db.close()
    },
  }
}
