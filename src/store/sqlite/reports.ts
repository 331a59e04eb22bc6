// Reports on SQLite: the flat columns that filters and the unique rule need, the rest as JSON.
// One open report per reporter and message: a partial unique index (status = 'open'), so an
// insert racing another is refused by SQLite itself, and a decided report no longer counts.
import type { Database } from 'better-sqlite3'
import type { ReportDecision, ReportRecord } from '../records.ts'
import type { ReportStore } from '../store.ts'

interface Row {
  id: string
  status: ReportRecord['status']
  body: string
}

type Body = Omit<ReportRecord, 'id' | 'status'>

const encode = ({ id: _id, status: _s, ...body }: ReportRecord): string => JSON.stringify(body)

const decode = (r: Row): ReportRecord => {
  const b = JSON.parse(r.body) as Body & {
    createdAt: string
    message: { createdAt: string; editedAt: string | null }
    decision: (Omit<ReportDecision, 'at'> & { at: string }) | null
  }
  return {
    id: r.id,
    status: r.status,
    ...b,
    createdAt: new Date(b.createdAt),
    message: {
      ...b.message,
      createdAt: new Date(b.message.createdAt),
      editedAt: b.message.editedAt ? new Date(b.message.editedAt) : null,
    },
    decision: b.decision ? { ...b.decision, at: new Date(b.decision.at) } : null,
  }
}

const isUnique = (err: unknown) =>
  (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' ||
  (err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY'

export function sqliteReports(db: Database): ReportStore {
  const insert = db.prepare(
    `INSERT INTO reports (id, status, reporter_id, room_id, seq, room_creator_id, body)
     VALUES (@id, @status, @reporter, @room, @seq, @creator, @body)`,
  )
  const get = db.prepare<[string], Row>('SELECT id, status, body FROM reports WHERE id = ?')
  const setStatus = db.prepare<[string, string, string, string]>(
    'UPDATE reports SET status = ?, body = ? WHERE id = ? AND status = ?',
  )
  const decide = db.transaction((id: string, by: ReportRecord['decidedBy'], decision: ReportDecision) => {
    const row = get.get(id)
    if (row?.status !== 'open') return null
    const report: ReportRecord = { ...decode(row), status: decision.status, decidedBy: by, decision }
    setStatus.run(decision.status, encode(report), id, 'open')
    return report
  })
  const reopen = db.transaction((id: string, decision: ReportDecision) => {
    const row = get.get(id)
    if (!row) return false
    const report = decode(row)
    if (report.status === 'open' || report.decision?.at.getTime() !== decision.at.getTime()) return false
    try {
      setStatus.run(
        'open',
        encode({ ...report, status: 'open', decidedBy: null, decision: null }),
        id,
        row.status,
      )
    } catch (err) {
      if (isUnique(err)) return false
      throw err
    }
    return true
  })
  return {
    async create(report) {
      try {
        insert.run({
          id: report.id,
          status: report.status,
          reporter: report.reporter.id,
          room: report.room.id,
          seq: report.message.seq,
          creator: report.roomCreatorId,
          body: encode(report),
        })
        return 'created'
      } catch (err) {
        if (isUnique(err)) return 'duplicate'
        throw err
      }
    },
    async get(id) {
      const row = get.get(id)
      return row ? decode(row) : null
    },
    async list({ status, roomCreator, limit, after }) {
      const where: string[] = []
      const params: Record<string, unknown> = { limit: limit + 1 }
      if (status !== undefined) {
        where.push('status = @status')
        params.status = status
      }
      if (roomCreator !== undefined) {
        where.push('room_creator_id = @creator')
        params.creator = roomCreator
      }
      if (after) {
        where.push('id < @after')
        params.after = after[0]
      }
      const sql = `SELECT id, status, body FROM reports ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                   ORDER BY id DESC LIMIT @limit`
      return db.prepare<Record<string, unknown>, Row>(sql).all(params).map(decode)
    },
    async decide(id, by, decision) {
      return decide.immediate(id, by, decision)
    },
    async reopen(id, decision) {
      return reopen.immediate(id, decision)
    },
  }
}
