// Message search in SQLite: the FTS5 table message_search (schema.ts) holds each message's
// terms under its search_id; appends, edits and deletions keep it in their own transaction
// (message-appends.ts, message-changes.ts). A search walks the index newest first (search_id
// descending) and joins the messages for the rooms and the filters.
import type { Database } from 'better-sqlite3'
import { indexTerms, type LookupTerm } from '../../search/terms.ts'
import type { SearchStore } from '../store.ts'
import { type Row, toMessage } from './message-rows.ts'

/** An FTS5 query: every term, quoted (terms hold letters and digits only), `*` for a prefix. */
export const ftsQuery = (terms: LookupTerm[]): string =>
  terms.map((t) => `"${t.value.replaceAll('"', '""')}"${t.prefix ? '*' : ''}`).join(' AND ')

export function sqliteSearch(db: Database): SearchStore {
  const pending = db.prepare<[number], Row & { rowid: number }>(
    `SELECT rowid, * FROM messages INDEXED BY messages_unindexed
     WHERE search_id IS NULL AND target IS NULL AND deleted = 0 ORDER BY id DESC LIMIT ?`,
  )
  const lowest = db.prepare<[], { low: number | null }>('SELECT min(search_id) AS low FROM messages')
  const setId = db.prepare('UPDATE messages SET search_id = ? WHERE rowid = ?')
  const index = db.prepare('INSERT INTO message_search (rowid, terms) VALUES (?, ?)')
  // Older messages get ids below every other, counting down: the index stays newest first.
  const backfill = db.transaction((batch: number) => {
    const rows = pending.all(batch)
    let next = Math.min(lowest.get()?.low ?? 1, 1) - 1
    for (const r of rows) {
      setId.run(next, r.rowid)
      index.run(next, indexTerms(r.text).join(' '))
      next--
    }
    return { indexed: rows.length, done: rows.length < batch }
  })
  const take = db.prepare<{ name: string; holder: string; until: number; now: number }>(
    `INSERT INTO leases (name, holder, until) VALUES (@name, @holder, @until)
     ON CONFLICT (name) DO UPDATE SET holder = @holder, until = @until WHERE holder = @holder OR until < @now`,
  )
  const holderOf = db.prepare<[string], { holder: string }>('SELECT holder FROM leases WHERE name = ?')
  const release = db.prepare('DELETE FROM leases WHERE name = ? AND holder = ?')

  return {
    async candidates(q) {
      if (q.rooms.length === 0 || q.terms.length === 0) return { items: [], next: null }
      const where = [
        'message_search MATCH @match',
        'm.room_id IN (SELECT value FROM json_each(@rooms))',
        'm.deleted = 0',
      ]
      const params: Record<string, unknown> = {
        match: ftsQuery(q.terms),
        rooms: JSON.stringify(q.rooms),
        limit: q.limit,
      }
      if (q.cursor !== null) {
        where.push('s.rowid < @cursor')
        params.cursor = Number.isSafeInteger(Number(q.cursor)) ? Number(q.cursor) : 0
      }
      if (q.from) {
        where.push('m.from_id = @from')
        params.from = q.from
      }
      if (q.hasFile) where.push('m.file IS NOT NULL')
      if (q.after) {
        where.push('m.created_at > @after')
        params.after = q.after.getTime()
      }
      if (q.before) {
        where.push('m.created_at < @before')
        params.before = q.before.getTime()
      }
      // The filters are few and fixed, so the statement cache of better-sqlite3 is not needed.
      const rows = db
        .prepare<Record<string, unknown>, Row>(
          `SELECT m.* FROM message_search s JOIN messages m ON m.search_id = s.rowid
           WHERE ${where.join(' AND ')} ORDER BY s.rowid DESC LIMIT @limit`,
        )
        .all(params)
      const last = rows[rows.length - 1]
      return {
        items: rows.map((r) => ({ message: toMessage(r), key: String(r.search_id) })),
        next: rows.length === q.limit && last ? String(last.search_id) : null,
      }
    },
    async backfill(batch) {
      return backfill(batch)
    },
    async lease(name, holder, ms, now) {
      take.run({ name, holder, until: now.getTime() + ms, now: now.getTime() })
      return holderOf.get(name)?.holder === holder
    },
    async release(name, holder) {
      release.run(name, holder)
    },
  }
}
