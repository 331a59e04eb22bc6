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
  // Walls and the user directory. The directory matches a prefix of the display name
  // case-insensitively; SQLite's lower() and LIKE fold ASCII letters only ('Å' stays 'Å'), so
  // the lowercase copy is computed by JavaScript (js_lower, registered in migrate(); the
  // adapter writes it on insert and update), the same folding as the query and the MongoDB
  // adapter, and an index on it serves prefix ranges.
  `CREATE TABLE posts (
     id TEXT PRIMARY KEY,
     wall TEXT NOT NULL,
     author_id TEXT NOT NULL,
     text TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX posts_wall ON posts(wall, id);
   ALTER TABLE users ADD COLUMN display_name_lower TEXT NOT NULL DEFAULT '';
   UPDATE users SET display_name_lower = js_lower(display_name);
   CREATE INDEX users_display_name_lower ON users(display_name_lower);`,
  // Rooms, their members and their messages. member_count is kept by the adapter inside the
  // same transaction as the membership change; seq is unique per room.
  `CREATE TABLE rooms (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     name_lower TEXT NOT NULL,
     description TEXT NOT NULL,
     creator TEXT NOT NULL,
     max_members INTEGER NOT NULL,
     member_count INTEGER NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX rooms_busiest ON rooms(member_count DESC, id DESC);
   CREATE TABLE members (
     room_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     ticket INTEGER NOT NULL,
     joined_at INTEGER NOT NULL,
     PRIMARY KEY (room_id, user_id)
   );
   CREATE UNIQUE INDEX members_order ON members(room_id, ticket);
   CREATE INDEX members_user ON members(user_id, ticket);
   CREATE TABLE messages (
     id TEXT PRIMARY KEY,
     room_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     kind TEXT NOT NULL,
     from_id TEXT,
     from_user TEXT,
     text TEXT NOT NULL,
     file TEXT,
     client_msg_id TEXT,
     created_at INTEGER NOT NULL
   );
   CREATE UNIQUE INDEX messages_seq ON messages(room_id, seq);
   CREATE UNIQUE INDEX messages_idempotency ON messages(room_id, from_id, client_msg_id)
     WHERE client_msg_id IS NOT NULL;`,
  // Files posted in rooms: the records (the bytes are under DATA_DIR/files, see src/files/).
  `CREATE TABLE files (
     id TEXT PRIMARY KEY,
     room_id TEXT NOT NULL,
     uploader_id TEXT NOT NULL,
     name TEXT NOT NULL,
     size INTEGER NOT NULL,
     content_type TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX files_room ON files(room_id);`,
  // Conversations: edits, deletions, replies, mentions and reactions on messages; updates in the
  // stream (target = the seq of the message changed); read markers; mutes; direct rooms (the
  // sorted pair of user ids is unique, so each pair has one room).
  `ALTER TABLE messages ADD COLUMN edited_at INTEGER;
   ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE messages ADD COLUMN reply_to TEXT;
   ALTER TABLE messages ADD COLUMN mentions TEXT NOT NULL DEFAULT '[]';
   ALTER TABLE messages ADD COLUMN target INTEGER;
   CREATE TABLE reactions (
     message_id TEXT NOT NULL,
     emoji TEXT NOT NULL,
     user_id TEXT NOT NULL,
     at INTEGER NOT NULL,
     PRIMARY KEY (message_id, emoji, user_id)
   );
   CREATE TABLE read_markers (
     room_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     PRIMARY KEY (room_id, user_id)
   );
   CREATE TABLE mutes (
     room_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     until INTEGER NOT NULL,
     PRIMARY KEY (room_id, user_id)
   );
   ALTER TABLE rooms ADD COLUMN kind TEXT NOT NULL DEFAULT 'room';
   ALTER TABLE rooms ADD COLUMN dm_pair TEXT;
   CREATE UNIQUE INDEX rooms_dm ON rooms(dm_pair) WHERE dm_pair IS NOT NULL;`,
  // Moderation: what keeps a user out of a room (a kick's bar with its end, a ban with none);
  // a direct room a member hid (hidden_seq: the room's last seq then); the audit log,
  // newest first by (at, id), filtered by actor, target or action.
  `CREATE TABLE room_bars (
     room_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     kind TEXT NOT NULL,
     until INTEGER,
     PRIMARY KEY (room_id, user_id, kind)
   );
   ALTER TABLE members ADD COLUMN hidden_seq INTEGER;
   CREATE TABLE audit (
     id TEXT PRIMARY KEY,
     at INTEGER NOT NULL,
     actor_id TEXT NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     target_id TEXT,
     target TEXT,
     details TEXT NOT NULL
   );
   CREATE INDEX audit_newest ON audit(at DESC, id DESC);
   CREATE INDEX audit_actor ON audit(actor_id, at DESC, id DESC);
   CREATE INDEX audit_target ON audit(target_id, at DESC, id DESC);
   CREATE INDEX audit_action ON audit(action, at DESC, id DESC);`,
  // Name keys (src/store/name-key.ts): each key of a username or display name belongs to one
  // user, so a name confusable with another user's is refused by the primary key. The users
  // stored before get theirs when the store opens (name-keys.ts, while `filled` is 0).
  `CREATE TABLE name_keys (
     key TEXT PRIMARY KEY,
     user_id TEXT NOT NULL
   );
   CREATE TABLE name_keys_state (id INTEGER PRIMARY KEY CHECK (id = 1), filled INTEGER NOT NULL);
   INSERT INTO name_keys_state (id, filled) VALUES (1, 0);`,
  // Message search (src/store/sqlite/search.ts): a contentless FTS5 table of each message's
  // terms (src/search/terms.ts), keyed by the message's search_id, which orders messages newest
  // last (new ones count up, the backfill of older ones counts down from 0); new messages go in
  // together once FLUSH_AT of them wait above the watermark (search-index.ts). The terms are
  // plain words and CJK bigrams separated by spaces, so the ascii tokenizer only splits on
  // them; detail=none keeps no positions (phrases are checked on the text). messages_unindexed
  // holds what the backfill has left. Pins, and leases (one holder of a job at a time).
  `ALTER TABLE messages ADD COLUMN search_id INTEGER;
   CREATE UNIQUE INDEX messages_search ON messages(search_id);
   CREATE INDEX messages_unindexed ON messages(id) WHERE search_id IS NULL AND target IS NULL AND deleted = 0;
   CREATE VIRTUAL TABLE message_search USING fts5(
     terms, content='', contentless_delete=1, detail=none, tokenize='ascii'
   );
   CREATE TABLE pins (
     room_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     pinned_by TEXT,
     pinned_at INTEGER NOT NULL,
     PRIMARY KEY (room_id, seq)
   );
   CREATE INDEX pins_latest ON pins(room_id, pinned_at DESC);
   CREATE TABLE leases (
     name TEXT PRIMARY KEY,
     holder TEXT NOT NULL,
     until INTEGER NOT NULL
   );
   -- A room's deletion takes its messages' terms and its pins with it.
   -- Every message with a search_id up to indexed_upto is in message_search (search-index.ts).
   CREATE TABLE search_state (id INTEGER PRIMARY KEY CHECK (id = 1), indexed_upto INTEGER NOT NULL);
   INSERT INTO search_state (id, indexed_upto) VALUES (1, 0);
   CREATE TRIGGER messages_unsearch AFTER DELETE ON messages
   WHEN old.search_id IS NOT NULL AND old.search_id <= (SELECT indexed_upto FROM search_state) BEGIN
     DELETE FROM message_search WHERE rowid = old.search_id;
   END;
   CREATE TRIGGER rooms_unpin AFTER DELETE ON rooms BEGIN
     DELETE FROM pins WHERE room_id = old.id;
   END;`,
  // Safety: who blocks whom (a user's list, newest first); reports of messages with the message
  // as it was, one open report per reporter and message (the partial unique index), newest first.
  `CREATE TABLE blocks (
     user_id TEXT NOT NULL,
     other_id TEXT NOT NULL,
     at INTEGER NOT NULL,
     PRIMARY KEY (user_id, other_id)
   );
   CREATE INDEX blocks_newest ON blocks(user_id, at DESC);
   CREATE TABLE reports (
     id TEXT PRIMARY KEY,
     status TEXT NOT NULL,
     reporter_id TEXT NOT NULL,
     room_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     room_creator_id TEXT,
     body TEXT NOT NULL
   );
   CREATE UNIQUE INDEX reports_open ON reports(reporter_id, room_id, seq) WHERE status = 'open';
   CREATE INDEX reports_status ON reports(status, id DESC);
   CREATE INDEX reports_creator ON reports(room_creator_id, id DESC);`,
  // The uploaded avatar's file id (null: initials).
  'ALTER TABLE users ADD COLUMN avatar TEXT',
  // Bots and incoming webhooks: a user's kind (every user stored before is a person); the
  // tokens of bots' sessions, by session; a room's webhooks, each in a numbered place of its
  // room (unique), which bounds how many a room has.
  `ALTER TABLE users ADD COLUMN kind TEXT NOT NULL DEFAULT 'user';
   CREATE TABLE bot_tokens (
     session_id TEXT PRIMARY KEY,
     user_id TEXT NOT NULL,
     hash TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX bot_tokens_user ON bot_tokens(user_id, created_at);
   CREATE TABLE webhooks (
     id TEXT PRIMARY KEY,
     room_id TEXT NOT NULL,
     place INTEGER NOT NULL,
     name TEXT NOT NULL,
     secret_hash TEXT NOT NULL,
     created_by TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE UNIQUE INDEX webhooks_place ON webhooks(room_id, place);`,
  // Outgoing integrations (src/store/sqlite/integrations.ts): the integration (rooms and events
  // as JSON, the secret sealed), a cursor per (integration, room), and one lease per integration.
  `CREATE TABLE integrations (
     id TEXT PRIMARY KEY,
     url TEXT NOT NULL,
     secret TEXT NOT NULL,
     rooms TEXT NOT NULL,
     events TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     created_by TEXT NOT NULL
   );
   CREATE TABLE integration_cursors (
     integration TEXT NOT NULL,
     room TEXT NOT NULL,
     seq INTEGER NOT NULL,
     last_error TEXT,
     last_attempt_at INTEGER,
     PRIMARY KEY (integration, room)
   );
   CREATE TABLE integration_leases (
     integration TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     until INTEGER NOT NULL
   );`,
  // Leaving (src/store/sqlite/leave.ts): a deleted account keeps its row (its username stays
  // taken); a user's messages, files and posts are found by owner.
  `ALTER TABLE users ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX messages_author ON messages(from_id, room_id, seq);
   CREATE INDEX files_uploader ON files(uploader_id, id);
   CREATE INDEX posts_author ON posts(author_id, id);`,
  // Invitation lineage: who invited each user (the code's holder, else its minter) and with
  // which code, and whom a code was minted for (held_by); a user-level mute (a freeze). The
  // link was never recorded before: users stored until now have none, set to NULL on purpose.
  `ALTER TABLE users ADD COLUMN invited_by TEXT;
   ALTER TABLE users ADD COLUMN invite_code TEXT;
   ALTER TABLE users ADD COLUMN muted_until INTEGER;
   UPDATE users SET invited_by = NULL, invite_code = NULL;
   CREATE INDEX users_invited_by ON users(invited_by);
   ALTER TABLE codes ADD COLUMN held_by TEXT;
   CREATE INDEX codes_held_by ON codes(held_by, id DESC);
   CREATE INDEX codes_created_by ON codes(created_by);`,
]

export function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number
  db.function('js_lower', { deterministic: true }, (s: unknown) => String(s ?? '').toLowerCase())
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
