// The name keys of users stored before keys existed: given once, when the store opens, oldest
// user first and usernames before display names; a key someone older holds is not given again
// (both keep their names; only new names are checked against it).
import type { Database } from 'better-sqlite3'
import { nameKeys } from '../name-key.ts'

export function fillNameKeys(db: Database): void {
  const state = db.prepare<[], { filled: number }>('SELECT filled FROM name_keys_state WHERE id = 1').get()
  if (state?.filled !== 0) return
  db.function('js_name_keys', { deterministic: true }, (s: unknown) =>
    JSON.stringify(nameKeys(String(s ?? ''))),
  )
  db.transaction(() => {
    for (const column of ['username', 'display_name'])
      db.exec(
        `INSERT OR IGNORE INTO name_keys (key, user_id)
           SELECT k.value, u.id FROM users u, json_each(js_name_keys(u.${column})) k
           ORDER BY u.created_at, u.id`,
      )
    db.exec('UPDATE name_keys_state SET filled = 1 WHERE id = 1')
  })()
}
