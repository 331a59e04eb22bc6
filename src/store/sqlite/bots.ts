// Bots' tokens on SQLite: one row per bot session.
import type { Database } from 'better-sqlite3'
import type { BotTokenRecord } from '../records.ts'
import type { BotStore } from '../store.ts'

interface Row {
  session_id: string
  user_id: string
  hash: string
  created_at: number
}

const toRecord = (r: Row): BotTokenRecord => ({
  sessionId: r.session_id,
  userId: r.user_id,
  hash: r.hash,
  createdAt: new Date(r.created_at),
})

export function sqliteBots(db: Database): BotStore {
  const insert = db.prepare(
    'INSERT INTO bot_tokens (session_id, user_id, hash, created_at) VALUES (?, ?, ?, ?)',
  )
  const bySession = db.prepare<[string], Row>('SELECT * FROM bot_tokens WHERE session_id = ?')
  const ids = db.prepare<[], { user_id: string }>(
    'SELECT user_id FROM bot_tokens GROUP BY user_id ORDER BY min(created_at), user_id',
  )
  return {
    async putToken(t) {
      insert.run(t.sessionId, t.userId, t.hash, t.createdAt.getTime())
    },
    async token(sessionId) {
      const r = bySession.get(sessionId)
      return r ? toRecord(r) : null
    },
    async botIds() {
      return ids.all().map((r) => r.user_id)
    },
  }
}
