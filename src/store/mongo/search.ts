// Message search in MongoDB: the terms live on the message document itself (`terms`, written
// by the append and the edit, emptied by the deletion: no second write per message), under the
// multikey index (terms, roomId, _id). A search is one query: the caller's rooms, every exact
// term (`$all`), every prefix term as an indexed range on one element (`$elemMatch`), newest
// first by _id (ObjectIds grow with time), resumed after the last _id examined.
import type { Db, Filter, ObjectId } from 'mongodb'
import { indexTerms } from '../../search/terms.ts'
import type { SearchStore } from '../store.ts'
import { hex, isDuplicateKey, oidOrNull } from './ids.ts'
import { type MessageDoc, messagesOf, toMessage } from './message-docs.ts'

/** Above every code point: `prefix + TOP` bounds the terms that start with `prefix`. */
const TOP = '\u{10ffff}'

/** Where the backfill stands: the lowest _id read so far, and whether it read them all. */
export interface JobDoc {
  _id: string
  position: ObjectId | null
  done: boolean
  at: Date
}
const BACKFILL_JOB = 'search-backfill'

export interface LeaseDoc {
  _id: string
  holder: string
  until: Date
}

export const searchFilter = (q: Parameters<SearchStore['candidates']>[0]): Filter<MessageDoc> => {
  const rooms = q.rooms.flatMap((r) => {
    const id = oidOrNull(r)
    return id ? [id] : []
  })
  const [first, ...exact] = q.terms.filter((t) => !t.prefix).map((t) => t.value)
  const and: Filter<MessageDoc>[] = q.terms
    .filter((t) => t.prefix)
    .map((t) => ({ terms: { $elemMatch: { $gte: t.value, $lt: t.value + TOP } } }))
  if (exact.length > 0) and.unshift({ terms: { $all: exact } })
  const filter: Filter<MessageDoc> = { roomId: { $in: rooms }, deleted: { $ne: true } }
  // One exact term as a plain equality: MongoDB takes the same index bounds from it as from
  // `$all`, and FerretDB hands an equality to PostgreSQL (`@>`) where it filters `$all` itself.
  if (first !== undefined) filter.terms = first
  if (and.length > 0) filter.$and = and
  const cursor = q.cursor === null ? null : oidOrNull(q.cursor)
  if (cursor) filter._id = { $lt: cursor }
  if (q.from) filter['from.id'] = q.from
  if (q.hasFile) filter.file = { $ne: null }
  if (q.after || q.before) {
    const at: Record<string, Date> = {}
    if (q.after) at.$gt = q.after
    if (q.before) at.$lt = q.before
    filter.createdAt = at
  }
  return filter
}

export function mongoSearch(db: Db): SearchStore {
  const messages = messagesOf(db)
  const leases = db.collection<LeaseDoc>('leases')
  const jobs = db.collection<JobDoc>('search_state')
  return {
    async candidates(q) {
      if (q.rooms.length === 0 || q.terms.length === 0) return { items: [], next: null }
      const docs = await messages
        .find(searchFilter(q))
        .sort({ _id: -1 })
        .limit(q.limit)
        .project<MessageDoc>({ terms: 0 })
        .toArray()
      const last = docs[docs.length - 1]
      return {
        items: docs.map((d) => ({ message: toMessage(d), key: hex(d._id) })),
        next: docs.length === q.limit && last ? hex(last._id) : null,
      }
    },
    async backfill(batch) {
      // Newest first by _id from where the last batch stopped: each batch reads exactly `batch`
      // documents through the _id index, so the whole backfill reads the collection once (a
      // filter on the missing terms alone would walk past every indexed message again on each
      // batch). What has terms already (appended or edited since, or a deletion's empty ones)
      // is left alone by the update's filter. Once done, the job says so: a later start costs one read.
      const job = await jobs.findOne({ _id: BACKFILL_JOB })
      if (job?.done) return { indexed: 0, done: true }
      const docs = await messages
        .find(job?.position ? { _id: { $lt: job.position } } : {})
        .sort({ _id: -1 })
        .limit(batch)
        .project<Pick<MessageDoc, '_id' | 'text' | 'deleted' | 'kind' | 'terms'>>({
          _id: 1,
          text: 1,
          deleted: 1,
          kind: 1,
          terms: 1,
        })
        .toArray()
      const todo = docs.filter((d) => d.kind !== 'update' && d.terms === undefined)
      if (todo.length > 0)
        await messages.bulkWrite(
          todo.map((d) => ({
            updateOne: {
              filter: { _id: d._id, terms: { $exists: false } },
              update: { $set: { terms: d.deleted ? [] : indexTerms(d.text) } },
            },
          })),
          { ordered: false },
        )
      const done = docs.length < batch
      const position = docs[docs.length - 1]?._id ?? job?.position ?? null
      await jobs.updateOne(
        { _id: BACKFILL_JOB },
        { $set: { position, done, at: new Date() } },
        { upsert: true },
      )
      return { indexed: todo.length, done }
    },
    async lease(name, holder, ms, now) {
      try {
        const got = await leases.findOneAndUpdate(
          { _id: name, $or: [{ holder }, { until: { $lt: now } }] },
          { $set: { holder, until: new Date(now.getTime() + ms) } },
          { upsert: true, returnDocument: 'after' },
        )
        return got?.holder === holder
      } catch (err) {
        // Held by another: the filter missed, and the upsert collided with the held lease.
        if (isDuplicateKey(err)) return false
        throw err
      }
    },
    async release(name, holder) {
      await leases.deleteOne({ _id: name, holder })
    },
  }
}
