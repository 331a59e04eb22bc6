// Message search in SQLite: the FTS5 table message_search (schema.ts) holds each message's
// terms under its search_id, up to the watermark of search-index.ts; the few messages above it
// are read from the messages table and their terms checked here. Both in one read transaction,
// so a flush in between neither hides nor repeats a message. A search walks newest first
// (search_id descending) and joins the messages for the rooms and the filters.
import type { Database } from 'better-sqlite3'
import { indexTerms, type LookupTerm } from '../../search/terms.ts'
import type { SearchQuery, SearchStore } from '../store.ts'
import { type Row, toMessage } from './message-rows.ts'
import type { SearchIndex } from './search-index.ts'

/** An FTS5 query: every term, quoted (terms hold letters and digits only), `*` for a prefix. */
export const ftsQuery = (terms: LookupTerm[]): string =>
  terms.map((t) => `"${t.value.replaceAll('"', '""')}"${t.prefix ? '*' : ''}`).join(' AND ')

/** Whether a text's terms include every lookup term (what the FTS5 query asks of the indexed ones). */
const hasTerms = (text: string, terms: LookupTerm[]): boolean => {
  const own = indexTerms(text)
  return terms.every((t) => (t.prefix ? own.some((x) => x.startsWith(t.value)) : own.includes(t.value)))
}

/** The filters of a query on the messages `m`, and their parameters. */
function filters(q: SearchQuery): { where: string[]; params: Record<string, unknown> } {
  const where = ['m.room_id IN (SELECT value FROM json_each(@rooms))', 'm.deleted = 0']
  const params: Record<string, unknown> = { rooms: JSON.stringify(q.rooms), limit: q.limit }
  if (q.cursor !== null) {
    where.push('m.search_id < @cursor')
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
  return { where, params }
}

export function sqliteSearch(db: Database, index: SearchIndex): SearchStore {
  const pending = db.prepare<[number], Row & { rowid: number }>(
    `SELECT rowid, * FROM messages INDEXED BY messages_unindexed
     WHERE search_id IS NULL AND target IS NULL AND deleted = 0 ORDER BY id DESC LIMIT ?`,
  )
  const lowest = db.prepare<[], { low: number | null }>('SELECT min(search_id) AS low FROM messages')
  const setId = db.prepare('UPDATE messages SET search_id = ? WHERE rowid = ?')
  const insert = db.prepare('INSERT INTO message_search (rowid, terms) VALUES (?, ?)')
  // Older messages get ids below every other, counting down: the index stays newest first. They
  // are below the watermark, so they go into the FTS5 table at once.
  const backfill = db.transaction((batch: number) => {
    const rows = pending.all(batch)
    let next = Math.min(lowest.get()?.low ?? 1, 1) - 1
    for (const r of rows) {
      setId.run(next, r.rowid)
      insert.run(next, indexTerms(r.text).join(' '))
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

  const candidates = db.transaction((q: SearchQuery) => {
    const { where, params } = filters(q)
    params.upto = index.upto()
    // The filters are few and fixed, so the statement cache of better-sqlite3 is not needed.
    const indexed = db
      .prepare<Record<string, unknown>, Row>(
        `SELECT m.* FROM message_search s JOIN messages m ON m.search_id = s.rowid
         WHERE message_search MATCH @match AND ${where.join(' AND ')} ORDER BY s.rowid DESC LIMIT @limit`,
      )
      .all({ ...params, match: ftsQuery(q.terms) })
    const above = db
      .prepare<Record<string, unknown>, Row>(
        `SELECT m.* FROM messages m INDEXED BY messages_search
         WHERE m.search_id > @upto AND ${where.join(' AND ')} ORDER BY m.search_id DESC`,
      )
      .all(params)
      .filter((r) => hasTerms(r.text, q.terms))
    // Every message above the watermark is newer than every one below it: one order, by id.
    const rows = [...above, ...indexed].sort((a, b) => b.search_id! - a.search_id!).slice(0, q.limit)
    const more = indexed.length === q.limit || above.length + indexed.length > q.limit
    const last = rows[rows.length - 1]
    return {
      items: rows.map((r) => ({ message: toMessage(r), key: String(r.search_id) })),
      next: more && rows.length === q.limit && last ? String(last.search_id) : null,
    }
  })

  return {
    async candidates(q) {
      if (q.rooms.length === 0 || q.terms.length === 0) return { items: [], next: null }
      return candidates(q)
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
