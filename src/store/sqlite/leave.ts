// Leaving, on SQLite: a user's things by owner (indexes of the last migration), and the
// account made a tombstone in place.
import type { Database } from 'better-sqlite3'
import { DELETED_NAME, type LeaveStore } from '../leave-store.ts'
import { type FileRow, toFile } from './files.ts'
import { type Row, toMessage } from './message-rows.ts'
import { type Row as PostRow, toRecord as toPost } from './posts.ts'
import { type Row as SessionRow, toRecord as toSession } from './sessions.ts'
import { toRecord as toUser, type Row as UserRow } from './users.ts'

export function sqliteLeave(db: Database): LeaveStore {
  const rooms = db.prepare<[string], { room_id: string }>(
    'SELECT DISTINCT room_id FROM messages WHERE from_id = ? AND target IS NULL',
  )
  const authored = db.prepare<[string, string, number, number], Row>(
    `SELECT * FROM messages WHERE from_id = ? AND room_id = ? AND seq > ? AND target IS NULL
     ORDER BY seq LIMIT ?`,
  )
  const authoredLive = db.prepare<[string, string, number, number], Row>(
    `SELECT * FROM messages WHERE from_id = ? AND room_id = ? AND seq > ? AND target IS NULL
       AND deleted = 0
     ORDER BY seq LIMIT ?`,
  )
  const files = db.prepare<[string, string, number], FileRow>(
    'SELECT * FROM files WHERE uploader_id = ? AND id > ? ORDER BY id LIMIT ?',
  )
  const dropFiles = db.prepare('UPDATE messages SET file = NULL WHERE from_id = ? AND file IS NOT NULL')
  const posts = db.prepare<[string, string, number], PostRow>(
    'SELECT * FROM posts WHERE author_id = ? AND id > ? ORDER BY id LIMIT ?',
  )
  const removePosts = db.prepare('DELETE FROM posts WHERE author_id = ? OR wall = ?')
  const sessions = db.prepare<[string], SessionRow>(
    'SELECT * FROM sessions WHERE user_id = ? ORDER BY created_at, id',
  )
  const tombstone = db.prepare<[string, string, string], UserRow>(
    `UPDATE users SET deleted = 1, display_name = ?, display_name_lower = ?, bio = '',
       password_hash = '', totp_secret = NULL, totp_pending = NULL, email = NULL,
       email_verified = 0, role = 'user', theme = '{"mode":"system"}', vip_expires_at = NULL
     WHERE id = ? RETURNING *`,
  )
  const renameSender = db.prepare('UPDATE messages SET from_user = ? WHERE from_id = ?')
  const renameQuoted = db.prepare(
    `UPDATE messages SET reply_to = json_set(reply_to, '$.from', json(?))
     WHERE reply_to IS NOT NULL AND json_extract(reply_to, '$.from.id') = ?`,
  )
  const renameCreator = db.prepare(
    `UPDATE rooms SET creator = json_set(creator, '$.username', ?, '$.displayName', ?)
     WHERE json_extract(creator, '$.id') = ?`,
  )
  const rename = db.transaction((userId: string, snapshot: string, username: string, name: string) => {
    renameSender.run(snapshot, userId)
    renameQuoted.run(snapshot, userId)
    renameCreator.run(username, name, userId)
  })

  return {
    async roomsAuthored(userId) {
      return rooms.all(userId).map((r) => r.room_id)
    },
    async authored(userId, roomId, afterSeq, limit, live = false) {
      return (live ? authoredLive : authored).all(userId, roomId, afterSeq, limit).map(toMessage)
    },
    async files(userId, afterId, limit) {
      return files.all(userId, afterId, limit).map(toFile)
    },
    async dropFileRefs(userId) {
      dropFiles.run(userId)
    },
    async posts(userId, afterId, limit) {
      return posts.all(userId, afterId, limit).map(toPost)
    },
    async removePosts(userId) {
      return removePosts.run(userId, userId).changes
    },
    async sessions(userId) {
      return sessions.all(userId).map(toSession)
    },
    async markDeleted(userId) {
      const row = tombstone.get(DELETED_NAME, DELETED_NAME.toLowerCase(), userId)
      return row ? toUser(row) : null
    },
    async renameAuthor(userId, snapshot) {
      rename(userId, JSON.stringify(snapshot), snapshot.username, snapshot.displayName)
    },
  }
}
