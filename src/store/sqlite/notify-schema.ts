// The tables of the notification parts (push subscriptions, settings, tokens, mail addresses,
// the job queue) and the mail columns of users. Created idempotently at every open rather than
// as numbered migrations (schema.ts), so that this part ships on its own: each statement is a
// no-op once applied. A later change to these tables goes into schema.ts's numbered list.
import type { Database } from 'better-sqlite3'

const tables = `
  CREATE TABLE IF NOT EXISTS push_subscriptions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    endpoint TEXT NOT NULL UNIQUE,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS push_subscriptions_user ON push_subscriptions(user_id, created_at);
  CREATE TABLE IF NOT EXISTS notify_settings (
    user_id TEXT PRIMARY KEY,
    push INTEGER NOT NULL,
    email TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS notify_rooms (
    user_id TEXT NOT NULL,
    room_id TEXT NOT NULL,
    level TEXT NOT NULL,
    PRIMARY KEY (user_id, room_id)
  );
  CREATE INDEX IF NOT EXISTS notify_rooms_level ON notify_rooms(room_id, level);
  CREATE TABLE IF NOT EXISTS tokens (
    hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id TEXT NOT NULL,
    email TEXT,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS tokens_user ON tokens(user_id, kind);
  CREATE TABLE IF NOT EXISTS emails (
    address_lower TEXT PRIMARY KEY,
    user_id TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    grp TEXT,
    due_at INTEGER NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    owner TEXT,
    lease_until INTEGER,
    done_at INTEGER,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS jobs_due ON jobs(due_at) WHERE done_at IS NULL AND grp IS NULL;
  CREATE INDEX IF NOT EXISTS jobs_group ON jobs(grp, created_at) WHERE done_at IS NULL AND grp IS NOT NULL;
  CREATE INDEX IF NOT EXISTS jobs_done ON jobs(done_at) WHERE done_at IS NOT NULL;
`

export function ensureNotifySchema(db: Database): void {
  db.transaction(() => {
    db.exec(tables)
    const columns = new Set((db.pragma('table_info(users)') as { name: string }[]).map((c) => c.name))
    if (!columns.has('email')) db.exec('ALTER TABLE users ADD COLUMN email TEXT')
    if (!columns.has('email_verified'))
      db.exec('ALTER TABLE users ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 0')
  })()
}
