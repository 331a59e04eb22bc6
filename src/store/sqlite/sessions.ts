import type { Database } from 'better-sqlite3'
import type { SessionRecord } from '../records.ts'
import type { SessionStore } from '../store.ts'
import { date } from './schema.ts'

export interface Row {
  id: string
  user_id: string
  created_at: number
  expires_at: number
  revoked_at: number | null
}

export const toRecord = (r: Row): SessionRecord => ({
  id: r.id,
  userId: r.user_id,
  createdAt: new Date(r.created_at),
  expiresAt: new Date(r.expires_at),
  revokedAt: date(r.revoked_at),
})

export function sqliteSessions(db: Database): SessionStore {
  const insert = db.prepare(
    'INSERT INTO sessions (id, user_id, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, NULL)',
  )
  const byId = db.prepare<[string], Row>('SELECT * FROM sessions WHERE id = ?')
  const revoke = db.prepare('UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
  const revokeAll = db.prepare<[number, string, string], { id: string }>(
    'UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND id != ? AND revoked_at IS NULL RETURNING id',
  )
  const revokeUsers = db.prepare<[number, string], { id: string; user_id: string }>(
    `UPDATE sessions SET revoked_at = ? WHERE revoked_at IS NULL
       AND user_id IN (SELECT value FROM json_each(?)) RETURNING id, user_id`,
  )
  return {
    async create(s) {
      insert.run(s.id, s.userId, s.createdAt.getTime(), s.expiresAt.getTime())
    },
    async get(id) {
      const r = byId.get(id)
      return r ? toRecord(r) : null
    },
    async revoke(id, at) {
      return revoke.run(at.getTime(), id).changes > 0
    },
    async revokeAllForUser(userId, at, exceptId = '') {
      return revokeAll.all(at.getTime(), userId, exceptId).map((r) => r.id)
    },
    async revokeAllForUsers(userIds, at) {
      if (userIds.length === 0) return []
      return revokeUsers
        .all(at.getTime(), JSON.stringify(userIds))
        .map((r) => ({ id: r.id, userId: r.user_id }))
    },
  }
}
