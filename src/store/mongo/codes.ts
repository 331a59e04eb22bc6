import type { Db, Filter, IndexDescription, ObjectId } from 'mongodb'
import type { CodeRecord, CodeStatus } from '../records.ts'
import type { CodeStore } from '../store.ts'
import { hex, isDuplicateKey, oid, oidOrNull } from './ids.ts'

export interface CodeDoc extends Omit<CodeRecord, 'id' | 'uses'> {
  _id: ObjectId
  /** Set by whoever takes the last use, so "used up" is a plain indexable filter. */
  exhausted: boolean
}

/**
 * One document per use of a code, `_id` = `${codeId}:${n}` for n in 1..maxUses. Taking a use is
 * an insert, and a unique `_id` is the one thing every MongoDB-wire server enforces atomically:
 * FerretDB 1.x applies updates as read-then-write, so `$inc` or a conditional update alone
 * lets concurrent redeemers through (measured: 50 concurrent `$inc` counted 12).
 */
export interface CodeUseDoc {
  _id: string
  codeId: ObjectId
  at: Date
}

export const codeIndexes: IndexDescription[] = [
  { key: { hash: 1 }, name: 'hash_unique', unique: true },
  { key: { type: 1, _id: -1 }, name: 'type_newest' },
  { key: { heldBy: 1, _id: -1 }, name: 'held_by' },
  { key: { createdBy: 1 }, name: 'created_by' },
]
export const codeUseIndexes: IndexDescription[] = [{ key: { codeId: 1 }, name: 'code' }]

const toCode = ({ _id, exhausted: _, ...rest }: CodeDoc, uses: number): CodeRecord => ({
  id: hex(_id),
  uses,
  ...rest,
})

/** The same precedence as `codeStatus`: revoked, used, expired, unused. */
function statusFilter(status: CodeStatus, now: Date): Filter<CodeDoc> {
  switch (status) {
    case 'revoked':
      return { revokedAt: { $ne: null } }
    case 'used':
      return { revokedAt: null, exhausted: true }
    case 'expired':
      return { revokedAt: null, exhausted: false, expiresAt: { $ne: null, $lte: now } }
    case 'unused':
      return { revokedAt: null, exhausted: false, $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] }
  }
}

export function mongoCodes(db: Db): CodeStore {
  const codes = db.collection<CodeDoc>('codes')
  const uses = db.collection<CodeUseDoc>('code_uses')

  const countUses = async (ids: ObjectId[]): Promise<Map<string, number>> => {
    const rows = await uses
      .aggregate<{ _id: ObjectId; n: number }>([
        { $match: { codeId: { $in: ids } } },
        { $group: { _id: '$codeId', n: { $sum: 1 } } },
      ])
      .toArray()
    return new Map(rows.map((r) => [hex(r._id), r.n]))
  }
  const withUses = async (docs: CodeDoc[]) => {
    const counts = await countUses(docs.map((d) => d._id))
    return docs.map((d) => toCode(d, counts.get(hex(d._id)) ?? 0))
  }

  return {
    async insertMany(list) {
      if (list.length === 0) return
      await codes.insertMany(
        list.map(({ id, uses: n, ...c }) => ({ _id: oid(id), exhausted: n >= c.maxUses, ...c })),
      )
    },
    async redeem(hash, type, now) {
      const doc = await codes.findOne({ hash, type, ...statusFilter('unused', now) })
      if (!doc) return null
      const taken = (await countUses([doc._id])).get(hex(doc._id)) ?? 0
      // Try the next free use first, then any use given back (a hole below it).
      const order = [...range(taken + 1, doc.maxUses), ...range(1, Math.min(taken, doc.maxUses))]
      for (const n of order) {
        try {
          await uses.insertOne({ _id: `${hex(doc._id)}:${n}`, codeId: doc._id, at: now })
        } catch (err) {
          if (isDuplicateKey(err)) continue
          throw err
        }
        const count = (await countUses([doc._id])).get(hex(doc._id)) ?? n
        if (count >= doc.maxUses) await codes.updateOne({ _id: doc._id }, { $set: { exhausted: true } })
        return toCode(doc, count)
      }
      await codes.updateOne({ _id: doc._id }, { $set: { exhausted: true } })
      return null
    },
    async release(id) {
      const codeId = oid(id)
      const last = await uses.find({ codeId }).sort({ at: -1 }).limit(1).next()
      if (!last) return
      await uses.deleteOne({ _id: last._id })
      await codes.updateOne({ _id: codeId }, { $set: { exhausted: false } })
    },
    async get(id) {
      const _id = oidOrNull(id)
      const doc = _id && (await codes.findOne({ _id }))
      return doc ? (await withUses([doc]))[0]! : null
    },
    async revoke(id, at) {
      const _id = oidOrNull(id)
      if (!_id) return false
      // The first revocation time is kept; revoking again still answers that the code exists.
      const r = await codes.updateOne({ _id, revokedAt: null }, { $set: { revokedAt: at } })
      return r.matchedCount > 0 || (await codes.countDocuments({ _id }, { limit: 1 })) > 0
    },
    async revokeOwnedBy(userIds, at) {
      if (userIds.length === 0) return 0
      const r = await codes.updateMany(
        {
          $and: [
            statusFilter('unused', at),
            { $or: [{ createdBy: { $in: userIds } }, { heldBy: { $in: userIds } }] },
          ],
        },
        { $set: { revokedAt: at } },
      )
      return r.modifiedCount
    },
    async list({ type, status, heldBy, now, limit, after }) {
      const filter: Filter<CodeDoc> = {
        ...(type ? { type } : {}),
        ...(heldBy ? { heldBy } : {}),
        ...(status ? statusFilter(status, now) : {}),
        ...(after ? { _id: { $lt: oid(String(after[0])) } } : {}),
      }
      const docs = await codes
        .find(filter)
        .sort({ _id: -1 })
        .limit(limit + 1)
        .toArray()
      return withUses(docs)
    },
  }
}

function range(from: number, to: number): number[] {
  const out: number[] = []
  for (let i = from; i <= to; i++) out.push(i)
  return out
}
