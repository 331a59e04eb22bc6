// The audit log on MongoDB: one document per entry, inserted and never updated or deleted (no
// call here does either). `actorId` and `targetId` are copies of the snapshots' ids, flat, so
// that the filters have plain indexed fields (FerretDB indexes dotted paths poorly).
import type { Collection, Db, Filter, IndexDescription, ObjectId } from 'mongodb'
import type { AuditRecord } from '../records.ts'
import type { AuditStore } from '../store.ts'
import { hex, oid } from './ids.ts'

export interface AuditDoc extends Omit<AuditRecord, 'id'> {
  _id: ObjectId
  actorId: string
  targetId: string | null
}

export const auditIndexes: IndexDescription[] = [
  { key: { at: -1, _id: -1 }, name: 'newest' },
  { key: { actorId: 1, at: -1, _id: -1 }, name: 'by_actor' },
  { key: { targetId: 1, at: -1, _id: -1 }, name: 'by_target' },
  { key: { action: 1, at: -1, _id: -1 }, name: 'by_action' },
]

export const auditOf = (db: Db): Collection<AuditDoc> => db.collection<AuditDoc>('audit')

/** Appends one entry (shared with the writes that log their own action, see rooms.ts). */
export async function appendAudit(audit: Collection<AuditDoc>, { id, ...entry }: AuditRecord): Promise<void> {
  await audit.insertOne({
    _id: oid(id),
    ...entry,
    actorId: entry.actor.id,
    targetId: entry.target?.id ?? null,
  })
}

const toEntry = ({ _id, actorId: _a, targetId: _t, ...rest }: AuditDoc): AuditRecord => ({
  id: hex(_id),
  ...rest,
})

export function mongoAudit(db: Db): AuditStore {
  const audit = auditOf(db)
  return {
    append: (entry) => appendAudit(audit, entry),
    async list({ actor, action, target, limit, after }) {
      const filter: Filter<AuditDoc> = {}
      if (actor !== undefined) filter.actorId = actor
      if (action !== undefined) filter.action = action
      if (target !== undefined) filter.targetId = target
      if (after) {
        const at = new Date(after[0] as number)
        filter.$or = [{ at: { $lt: at } }, { at, _id: { $lt: oid(after[1] as string) } }]
      }
      const docs = await audit
        .find(filter)
        .sort({ at: -1, _id: -1 })
        .limit(limit + 1)
        .toArray()
      return docs.map(toEntry)
    },
  }
}
