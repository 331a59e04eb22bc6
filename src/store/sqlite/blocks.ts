// Blocks on SQLite: one row per pair, the primary key making an add idempotent. The count and
// the insert run in one transaction, so the limit holds against this process's other writes.
import type { Database } from 'better-sqlite3'
import type { BlockStore } from '../store.ts'

export function sqliteBlocks(db: Database): BlockStore {
  const count = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM blocks WHERE user_id = ?')
  const has = db.prepare<[string, string], { one: number }>(
    'SELECT 1 AS one FROM blocks WHERE user_id = ? AND other_id = ?',
  )
  const insert = db.prepare('INSERT INTO blocks (user_id, other_id, at) VALUES (?, ?, ?)')
  const remove = db.prepare('DELETE FROM blocks WHERE user_id = ? AND other_id = ?')
  const list = db.prepare<[string], { other_id: string }>(
    'SELECT other_id FROM blocks WHERE user_id = ? ORDER BY at DESC, other_id DESC',
  )
  const add = db.transaction((userId: string, otherId: string, at: number, max: number) => {
    if (has.get(userId, otherId)) return 'already' as const
    if (count.get(userId)!.n >= max) return 'full' as const
    insert.run(userId, otherId, at)
    return 'added' as const
  })
  return {
    async add(userId, otherId, at, max) {
      return add.immediate(userId, otherId, at.getTime(), max)
    },
    async remove(userId, otherId) {
      return remove.run(userId, otherId).changes > 0
    },
    async list(userId) {
      return list.all(userId).map((r) => r.other_id)
    },
  }
}
