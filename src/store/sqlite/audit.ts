// The audit log on SQLite: one row per entry, JSON for the snapshots and details. Rows are only
// ever inserted: no statement here updates or deletes one.
import type { Database } from 'better-sqlite3'
import type { AuditRecord } from '../records.ts'
import type { AuditStore } from '../store.ts'

interface AuditRow {
  id: string
  at: number
  actor: string
  action: AuditRecord['action']
  target: string | null
  details: string
}

const toEntry = (r: AuditRow): AuditRecord => ({
  id: r.id,
  at: new Date(r.at),
  actor: JSON.parse(r.actor),
  action: r.action,
  target: r.target === null ? null : JSON.parse(r.target),
  details: JSON.parse(r.details),
})

/** The insert, synchronous, so that a write of another adapter can run it inside its own transaction. */
export function auditWriter(db: Database): (entry: AuditRecord) => void {
  const insert = db.prepare(
    `INSERT INTO audit (id, at, actor_id, actor, action, target_id, target, details)
     VALUES (@id, @at, @actorId, @actor, @action, @targetId, @target, @details)`,
  )
  return (e) => {
    insert.run({
      id: e.id,
      at: e.at.getTime(),
      actorId: e.actor.id,
      actor: JSON.stringify(e.actor),
      action: e.action,
      targetId: e.target?.id ?? null,
      target: e.target === null ? null : JSON.stringify(e.target),
      details: JSON.stringify(e.details),
    })
  }
}

export function sqliteAudit(db: Database): AuditStore {
  const write = auditWriter(db)
  return {
    async append(entry) {
      write(entry)
    },
    async list({ actor, action, target, limit, after }) {
      const where: string[] = []
      const params: Record<string, unknown> = { limit: limit + 1 }
      if (actor !== undefined) {
        where.push('actor_id = @actor')
        params.actor = actor
      }
      if (action !== undefined) {
        where.push('action = @action')
        params.action = action
      }
      if (target !== undefined) {
        where.push('target_id = @target')
        params.target = target
      }
      if (after) {
        where.push('(at < @at OR (at = @at AND id < @id))')
        params.at = after[0]
        params.id = after[1]
      }
      const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                   ORDER BY at DESC, id DESC LIMIT @limit`
      return db.prepare<Record<string, unknown>, AuditRow>(sql).all(params).map(toEntry)
    },
  }
}
