// Schema migrations, applied in order; PRAGMA user_version records how many ran.
import type { Database } from 'better-sqlite3'

const migrations: string[] = [
  `CREATE TABLE users (
     id TEXT PRIMARY KEY,
     username TEXT NOT NULL,
     username_lower TEXT NOT NULL UNIQUE,
     display_name TEXT NOT NULL,
     bio TEXT NOT NULL,
     role TEXT NOT NULL,
     password_hash TEXT NOT NULL,
     theme TEXT NOT NULL,
     vip_expires_at INTEGER,
     totp_secret TEXT,
     totp_pending TEXT,
     banned INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX users_role ON users(role);
   CREATE TABLE sessions (
     id TEXT PRIMARY KEY,
     user_id TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     revoked_at INTEGER
   );
   CREATE INDEX sessions_user ON sessions(user_id);
   CREATE TABLE codes (
     id TEXT PRIMARY KEY,
     type TEXT NOT NULL,
     hash TEXT NOT NULL UNIQUE,
     hint TEXT NOT NULL,
     max_uses INTEGER NOT NULL,
     uses INTEGER NOT NULL DEFAULT 0,
     vip_days INTEGER,
     grants_admin INTEGER NOT NULL DEFAULT 0,
     expires_at INTEGER,
     revoked_at INTEGER,
     created_by TEXT,
     created_at INTEGER NOT NULL
   );`,
]

export function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number
  for (let v = current; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v]!)
      db.pragma(`user_version = ${v + 1}`)
    })()
  }
}

/** Helpers for the column conventions: times are epoch milliseconds, booleans 0/1. */
export const ms = (d: Date | null | undefined): number | null => (d ? d.getTime() : null)
export const date = (n: number | null): Date | null => (n === null ? null : new Date(n))
