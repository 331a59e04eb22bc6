import type { Database } from 'better-sqlite3'
import type { CodeRecord } from '../records.ts'
import type { CodeStore } from '../store.ts'
import { date, ms } from './schema.ts'

interface Row {
  id: string
  type: CodeRecord['type']
  hash: string
  hint: string
  max_uses: number
  uses: number
  vip_days: number | null
  grants_admin: number
  expires_at: number | null
  revoked_at: number | null
  created_by: string | null
  created_at: number
  held_by: string | null
}

const toRecord = (r: Row): CodeRecord => ({
  id: r.id,
  type: r.type,
  hash: r.hash,
  hint: r.hint,
  maxUses: r.max_uses,
  uses: r.uses,
  vipDays: r.vip_days,
  grantsAdmin: r.grants_admin === 1,
  expiresAt: date(r.expires_at),
  revokedAt: date(r.revoked_at),
  createdBy: r.created_by,
  createdAt: new Date(r.created_at),
  heldBy: r.held_by,
})

/** SQL for each status; the same precedence as `codeStatus`: revoked, used, expired, unused. */
const statusSql = {
  revoked: 'revoked_at IS NOT NULL',
  used: 'revoked_at IS NULL AND uses >= max_uses',
  expired: 'revoked_at IS NULL AND uses < max_uses AND expires_at IS NOT NULL AND expires_at <= @now',
  unused: 'revoked_at IS NULL AND uses < max_uses AND (expires_at IS NULL OR expires_at > @now)',
} as const

export function sqliteCodes(db: Database): CodeStore {
  const insert = db.prepare(
    `INSERT INTO codes (id, type, hash, hint, max_uses, uses, vip_days, grants_admin, expires_at, revoked_at, created_by, created_at, held_by)
     VALUES (@id, @type, @hash, @hint, @maxUses, @uses, @vipDays, @grantsAdmin, @expiresAt, @revokedAt, @createdBy, @createdAt, @heldBy)`,
  )
  const insertAll = db.transaction((codes: CodeRecord[]) => {
    for (const c of codes) {
      insert.run({
        ...c,
        grantsAdmin: c.grantsAdmin ? 1 : 0,
        expiresAt: ms(c.expiresAt),
        revokedAt: ms(c.revokedAt),
        createdAt: c.createdAt.getTime(),
        heldBy: c.heldBy ?? null,
      })
    }
  })
  // One statement: SQLite serialises writers, so the check and the increment cannot interleave.
  const redeem = db.prepare<{ hash: string; type: string; now: number }, Row>(
    `UPDATE codes SET uses = uses + 1
     WHERE hash = @hash AND type = @type AND ${statusSql.unused} RETURNING *`,
  )
  const release = db.prepare('UPDATE codes SET uses = uses - 1 WHERE id = ? AND uses > 0')
  const byId = db.prepare<[string], Row>('SELECT * FROM codes WHERE id = ?')
  const revoke = db.prepare('UPDATE codes SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?')
  const revokeOwned = db.prepare<{ now: number; ids: string }>(
    `UPDATE codes SET revoked_at = @now WHERE ${statusSql.unused}
       AND (created_by IN (SELECT value FROM json_each(@ids)) OR held_by IN (SELECT value FROM json_each(@ids)))`,
  )

  return {
    async insertMany(codes) {
      insertAll(codes)
    },
    async redeem(hash, type, now) {
      const r = redeem.get({ hash, type, now: now.getTime() })
      return r ? toRecord(r) : null
    },
    async release(id) {
      release.run(id)
    },
    async get(id) {
      const r = byId.get(id)
      return r ? toRecord(r) : null
    },
    async revoke(id, at) {
      return revoke.run(at.getTime(), id).changes > 0
    },
    async revokeOwnedBy(userIds, at) {
      if (userIds.length === 0) return 0
      return revokeOwned.run({ now: at.getTime(), ids: JSON.stringify(userIds) }).changes
    },
    async list({ type, status, heldBy, now, limit, after }) {
      const where: string[] = []
      if (type) where.push('type = @type')
      if (heldBy) where.push('held_by = @heldBy')
      if (status) where.push(statusSql[status])
      if (after) where.push('id < @after')
      const sql = `SELECT * FROM codes ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT @limit`
      const rows = db
        .prepare<Record<string, unknown>, Row>(sql)
        .all({ type, heldBy, now: now.getTime(), after: after?.[0], limit: limit + 1 })
      return rows.map(toRecord)
    },
  }
}
