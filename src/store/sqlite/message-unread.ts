// Read markers and unread counts in SQLite: a marker that never moves back, and the unread
// messages and mentions of all a user's rooms in one query.
import type { Database } from 'better-sqlite3'
import type { MessageStore, UnreadRecord } from '../store.ts'

export function sqliteUnread(db: Database): Pick<MessageStore, 'markRead' | 'readSeq' | 'unread'> {
  const upsertRead = db.prepare(
    `INSERT INTO read_markers (room_id, user_id, seq) VALUES (?, ?, ?)
     ON CONFLICT (room_id, user_id) DO UPDATE SET seq = excluded.seq WHERE excluded.seq > read_markers.seq`,
  )
  const readOf = db.prepare<[string, string], { seq: number }>(
    'SELECT seq FROM read_markers WHERE room_id = ? AND user_id = ?',
  )
  // One query for all the user's rooms: seqs and markers are indexed, so each room costs an
  // index range from its marker to its end.
  const unreadStmt = db.prepare<Record<string, unknown>, UnreadRecord>(
    `SELECT * FROM (
       SELECT mb.room_id AS room,
              (SELECT coalesce(max(seq), 0) FROM messages WHERE room_id = mb.room_id) AS lastSeq,
              coalesce(rm.seq, 0) AS readSeq,
              (SELECT count(*) FROM messages m WHERE m.room_id = mb.room_id AND m.seq > coalesce(rm.seq, 0)
                 AND m.target IS NULL AND m.deleted = 0 AND m.from_id IS NOT NULL AND m.from_id != @user) AS unread,
              (SELECT count(*) FROM messages m WHERE m.room_id = mb.room_id AND m.seq > coalesce(rm.seq, 0)
                 AND m.target IS NULL AND m.deleted = 0 AND m.from_id IS NOT NULL AND m.from_id != @user
                 AND m.mentions != '[]'
                 AND EXISTS (SELECT 1 FROM json_each(m.mentions) WHERE value = @user)) AS mentions
       FROM members mb
       LEFT JOIN read_markers rm ON rm.room_id = mb.room_id AND rm.user_id = mb.user_id
       WHERE mb.user_id = @user AND (@rooms IS NULL OR mb.room_id IN (SELECT value FROM json_each(@rooms)))
       ORDER BY mb.ticket
     ) WHERE unread > 0 OR mentions > 0`,
  )

  return {
    async markRead(roomId, userId, seq) {
      return upsertRead.run(roomId, userId, seq).changes > 0
    },
    async readSeq(roomId, userId) {
      return readOf.get(roomId, userId)?.seq ?? 0
    },
    async unread(userId, onlyRooms) {
      // A few rooms (a page): the query keeps to them. Many (all the user's, as the service
      // knows them): the query over all the user's rooms is cheaper than a long list to match,
      // and its rows (rooms with something unread) are few to keep to the named ones.
      if (!onlyRooms || onlyRooms.length <= 50)
        return unreadStmt.all({ user: userId, rooms: onlyRooms ? JSON.stringify(onlyRooms) : null })
      const wanted = new Set(onlyRooms)
      return unreadStmt.all({ user: userId, rooms: null }).filter((r) => wanted.has(r.room))
    },
  }
}
