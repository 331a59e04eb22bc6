// Reports on MongoDB. One open report per reporter and message: `openKey` is the triple while
// the report is open and the report's own id once decided, under a plain unique index (FerretDB
// 1.x has no partial indexes), so a racing second report is refused by the index and a decided
// one frees the triple. Deciding claims the report by inserting its id into `report_claims`
// (the primary key picks one winner: FerretDB 1.x runs a conditional update as a read, then a
// write, so two could pass `status: 'open'`), then writes the decision. A crash between the two
// leaves the report open but claimed: the claim names its decider and time, and a claim older
// than CLAIM_STALE_MS on a report still open is taken over (a decision takes milliseconds).
import type { Collection, Db, Filter, IndexDescription, ObjectId } from 'mongodb'
import type { ReportRecord } from '../records.ts'
import type { ReportStore } from '../store.ts'
import { hex, isDuplicateKey, oid, oidOrNull } from './ids.ts'

/** A claim this old on a report still open was left by a decider that died before writing. */
export const CLAIM_STALE_MS = 5 * 60_000

interface ClaimDoc {
  _id: string
  by: string
  at: Date
}

interface ReportDoc extends Omit<ReportRecord, 'id'> {
  _id: ObjectId
  openKey: string
  /** Flat copies for the filters. */
  roomId: string
  reporterId: string
}

export const reportIndexes: IndexDescription[] = [
  { key: { openKey: 1 }, name: 'one_open', unique: true },
  { key: { status: 1, _id: -1 }, name: 'by_status' },
  { key: { roomCreatorId: 1, _id: -1 }, name: 'by_room_creator' },
]

const openKey = (r: Pick<ReportRecord, 'reporter' | 'room' | 'message'>) =>
  `${r.reporter.id}:${r.room.id}:${r.message.seq}`

/** A unique index refused an update: 11000, or FerretDB 1.x's InternalError naming PostgreSQL's duplicate key. */
const refusedAsDuplicate = (err: unknown) =>
  isDuplicateKey(err) || /duplicate key value/.test((err as { message?: string }).message ?? '')

const toRecord = ({ _id, openKey: _k, roomId: _r, reporterId: _p, ...rest }: ReportDoc): ReportRecord => ({
  id: hex(_id),
  ...rest,
})

export function mongoReports(db: Db): ReportStore {
  const reports: Collection<ReportDoc> = db.collection<ReportDoc>('reports')
  const claims = db.collection<ClaimDoc>('report_claims')
  const insertClaim = async (doc: ClaimDoc) => {
    try {
      await claims.insertOne(doc)
      return true
    } catch (err) {
      if (isDuplicateKey(err)) return false
      throw err
    }
  }
  /**
   * Claims the open report for one decider. A stale claim is removed by its exact time, so of
   * several deciders finding it only one removes it, and the primary key again picks one winner.
   */
  const claim = async (id: string, by: string, at: Date): Promise<boolean> => {
    if (await insertClaim({ _id: id, by, at })) return true
    const held = await claims.findOne({ _id: id })
    if (held && at.getTime() - held.at.getTime() < CLAIM_STALE_MS) return false
    if (held) await claims.deleteOne({ _id: id, at: held.at })
    return insertClaim({ _id: id, by, at })
  }
  return {
    async create({ id, ...report }) {
      try {
        await reports.insertOne({
          _id: oid(id),
          ...report,
          openKey: report.status === 'open' ? openKey(report) : id,
          roomId: report.room.id,
          reporterId: report.reporter.id,
        })
        return 'created'
      } catch (err) {
        if (isDuplicateKey(err)) return 'duplicate'
        throw err
      }
    },
    async get(id) {
      const _id = oidOrNull(id)
      const doc = _id && (await reports.findOne({ _id }))
      return doc ? toRecord(doc) : null
    },
    async list({ status, roomCreator, limit, after }) {
      const filter: Filter<ReportDoc> = {}
      if (status !== undefined) filter.status = status
      if (roomCreator !== undefined) filter.roomCreatorId = roomCreator
      if (after) filter._id = { $lt: oid(after[0] as string) }
      const docs = await reports
        .find(filter)
        .sort({ _id: -1 })
        .limit(limit + 1)
        .toArray()
      return docs.map(toRecord)
    },
    async decide(id, by, decision) {
      const _id = oidOrNull(id)
      const doc = _id && (await reports.findOne({ _id }))
      if (!_id || !doc || doc.status !== 'open') return null
      if (!(await claim(id, by.id, decision.at))) return null
      const $set = { status: decision.status, decidedBy: by, decision, openKey: id }
      await reports.updateOne({ _id }, { $set })
      return toRecord({ ...doc, ...$set })
    },
    async reopen(id, decision) {
      const _id = oid(id)
      const doc = await reports.findOne({ _id })
      if (!doc || doc.status === 'open' || doc.decision?.at.getTime() !== decision.at.getTime()) return false
      // The claim goes first: until the report is open again, a new decider still finds it decided.
      await claims.deleteOne({ _id: id, at: decision.at })
      try {
        const res = await reports.updateOne(
          { _id, status: doc.status, 'decision.at': decision.at },
          { $set: { status: 'open', decidedBy: null, decision: null, openKey: openKey(doc) } },
        )
        return res.modifiedCount > 0
      } catch (err) {
        if (refusedAsDuplicate(err)) return false
        throw err
      }
    },
  }
}
