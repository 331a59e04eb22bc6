import type { Db, Filter, IndexDescription, ObjectId } from 'mongodb'
import type { CodeRecord, CodeStatus } from '../records.ts'
import type { CodeStore } from '../store.ts'
import { hex, oid, oidOrNull } from './ids.ts'

export interface CodeDoc extends Omit<CodeRecord, 'id'> {
  _id: ObjectId
  /** maxUses - uses, kept beside them so "not used up" is a plain indexable filter. */
  remaining: number
}

export const codeIndexes: IndexDescription[] = [
  { key: { hash: 1 }, name: 'hash_unique', unique: true },
  { key: { type: 1, _id: -1 }, name: 'type_newest' },
]

const toCode = ({ _id, remaining: _, ...rest }: CodeDoc): CodeRecord => ({ id: hex(_id), ...rest })

/** The same precedence as `codeStatus`: revoked, used, expired, unused. */
function statusFilter(status: CodeStatus, now: Date): Filter<CodeDoc> {
  switch (status) {
    case 'revoked':
      return { revokedAt: { $ne: null } }
    case 'used':
      return { revokedAt: null, remaining: { $lte: 0 } }
    case 'expired':
      return { revokedAt: null, remaining: { $gt: 0 }, expiresAt: { $ne: null, $lte: now } }
    case 'unused':
      return {
        revokedAt: null,
        remaining: { $gt: 0 },
        $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }],
      }
  }
}

export function mongoCodes(db: Db): CodeStore {
  const codes = db.collection<CodeDoc>('codes')
  return {
    async insertMany(list) {
      if (list.length === 0) return
      await codes.insertMany(
        list.map(({ id, ...c }) => ({ _id: oid(id), remaining: c.maxUses - c.uses, ...c })),
      )
    },
    async redeem(hash, type, now) {
      // One single-document update: the filter and the decrement are applied atomically.
      const doc = await codes.findOneAndUpdate(
        { hash, type, ...statusFilter('unused', now) },
        { $inc: { uses: 1, remaining: -1 } },
        { returnDocument: 'after' },
      )
      return doc ? toCode(doc) : null
    },
    async release(id) {
      await codes.updateOne({ _id: oid(id), uses: { $gt: 0 } }, { $inc: { uses: -1, remaining: 1 } })
    },
    async get(id) {
      const _id = oidOrNull(id)
      const doc = _id && (await codes.findOne({ _id }))
      return doc ? toCode(doc) : null
    },
    async revoke(id, at) {
      const _id = oidOrNull(id)
      if (!_id) return false
      // The first revocation time is kept; revoking again still answers that the code exists.
      const r = await codes.updateOne({ _id, revokedAt: null }, { $set: { revokedAt: at } })
      return r.matchedCount > 0 || (await codes.countDocuments({ _id }, { limit: 1 })) > 0
    },
    async list({ type, status, now, limit, after }) {
      const filter: Filter<CodeDoc> = {
        ...(type ? { type } : {}),
        ...(status ? statusFilter(status, now) : {}),
        ...(after ? { _id: { $lt: oid(String(after[0])) } } : {}),
      }
      const docs = await codes
        .find(filter)
        .sort({ _id: -1 })
        .limit(limit + 1)
        .toArray()
      return docs.map(toCode)
    },
  }
}
