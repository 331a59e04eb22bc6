// The embedded store's search index writes. FTS5 writes a segment at every commit, which made a
// message appended alone (one transaction) cost about twice its CPU; so an append only takes
// its search_id, and the messages above the index's watermark (`search_state.indexed_upto`)
// go into the FTS5 table together, FLUSH_AT at a time, in one transaction after an append.
// Until then a search reads them from the messages themselves (search.ts): everything stored
// is found, whichever side of the watermark it is on. Edits and deletions of a message below
// the watermark change the FTS5 table in their own transaction; above it there is nothing to
// change (the flush reads the current text and skips what is deleted).
import type { Database } from 'better-sqlite3'
import { indexTerms } from '../../search/terms.ts'

/** Messages appended past the watermark before they go into the FTS5 table together. */
export const FLUSH_AT = 256

export interface SearchIndex {
  /** The watermark: every message with a search_id up to it is in the FTS5 table (read in a transaction). */
  upto(): number
  /** After an append committed with this search_id: indexes what is pending once enough is. */
  appended(searchId: number): void
  /** Indexes every pending message now; returns the new watermark. */
  flush(): number
  /** Inside an edit's transaction: the message's terms follow its new text. */
  reindex(searchId: number, text: string): void
  /** Inside a deletion's transaction: the message is found no more. */
  unindex(searchId: number): void
}

export function sqliteSearchIndex(db: Database): SearchIndex {
  const upto = db.prepare<[], { upto: number }>('SELECT indexed_upto AS upto FROM search_state')
  const top = db.prepare<[], { top: number | null }>('SELECT max(search_id) AS top FROM messages')
  const pending = db.prepare<[number], { search_id: number; text: string }>(
    `SELECT search_id, text FROM messages INDEXED BY messages_search
     WHERE search_id > ? AND deleted = 0 ORDER BY search_id`,
  )
  const insert = db.prepare('INSERT INTO message_search (rowid, terms) VALUES (?, ?)')
  const remove = db.prepare('DELETE FROM message_search WHERE rowid = ?')
  const setUpto = db.prepare('UPDATE search_state SET indexed_upto = ?')
  const watermark = () => upto.get()?.upto ?? 0
  const flush = db.transaction(() => {
    const from = watermark()
    const to = top.get()?.top ?? from
    if (to <= from) return from
    for (const r of pending.all(from)) insert.run(r.search_id, indexTerms(r.text).join(' '))
    setUpto.run(to)
    return to
  })
  // This handle's idea of the watermark, to decide when to flush; the flush reads the real one.
  let known = watermark()
  return {
    upto: watermark,
    appended(searchId) {
      if (searchId - known >= FLUSH_AT) known = flush.immediate()
    },
    flush() {
      known = flush.immediate()
      return known
    },
    reindex(searchId, text) {
      if (searchId > watermark()) return
      remove.run(searchId)
      insert.run(searchId, indexTerms(text).join(' '))
    },
    unindex(searchId) {
      if (searchId <= watermark()) remove.run(searchId)
    },
  }
}
