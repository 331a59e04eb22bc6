import type { Database } from 'better-sqlite3'
import { nameKeys, userNameKeys } from '../name-key.ts'
import { prefixEnd } from '../prefix.ts'
import type { UserPatch, UserRecord } from '../records.ts'
import type { UserStore } from '../store.ts'
import { date, ms } from './schema.ts'

export interface Row {
  id: string
  username: string
  display_name: string
  bio: string
  role: UserRecord['role']
  password_hash: string
  theme: string
  vip_expires_at: number | null
  totp_secret: string | null
  totp_pending: string | null
  banned: number
  created_at: number
  email: string | null
  email_verified: number
  avatar: string | null
  kind: string
  deleted?: number
  invited_by: string | null
  invite_code: string | null
  muted_until: number | null
}

export const toRecord = (r: Row): UserRecord => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  bio: r.bio,
  role: r.role,
  passwordHash: r.password_hash,
  theme: JSON.parse(r.theme),
  vipExpiresAt: date(r.vip_expires_at),
  totpSecret: r.totp_secret,
  totpPending: r.totp_pending,
  banned: r.banned === 1,
  createdAt: new Date(r.created_at),
  email: r.email,
  emailVerified: r.email_verified === 1,
  avatar: r.avatar,
  kind: r.kind === 'bot' ? 'bot' : 'user',
  ...(r.deleted === 1 ? { deleted: true } : {}),
  invitedBy: r.invited_by,
  inviteCode: r.invite_code,
  mutedUntil: date(r.muted_until),
})

const columns: Record<keyof UserPatch, [string, (v: never) => unknown]> = {
  displayName: ['display_name', (v: string) => v],
  bio: ['bio', (v: string) => v],
  theme: ['theme', (v: object) => JSON.stringify(v)],
  role: ['role', (v: string) => v],
  banned: ['banned', (v: boolean) => (v ? 1 : 0)],
  passwordHash: ['password_hash', (v: string) => v],
  totpSecret: ['totp_secret', (v: string | null) => v],
  totpPending: ['totp_pending', (v: string | null) => v],
  email: ['email', (v: string | null) => v],
  emailVerified: ['email_verified', (v: boolean) => (v ? 1 : 0)],
}

export function sqliteUsers(db: Database): UserStore {
  const insert = db.prepare(
    `INSERT INTO users (id, username, username_lower, display_name, bio, role, password_hash, theme,
       vip_expires_at, totp_secret, totp_pending, banned, created_at, display_name_lower, kind,
       invited_by, invite_code, muted_until)
     VALUES (@id, @username, @usernameLower, @displayName, @bio, @role, @passwordHash, @theme,
       @vipExpiresAt, @totpSecret, @totpPending, @banned, @createdAt, @displayNameLower, @kind,
       @invitedBy, @inviteCode, @mutedUntil)`,
  )
  const byId = db.prepare<[string], Row>('SELECT * FROM users WHERE id = ?')
  const byName = db.prepare<[string], Row>('SELECT * FROM users WHERE username_lower = ?')
  const extend = db.prepare<[number, number, string], Row>(
    'UPDATE users SET vip_expires_at = max(coalesce(vip_expires_at, 0), ?) + ? WHERE id = ? RETURNING *',
  )
  const setAvatar = db.prepare<[string | null, string], Row>(
    'UPDATE users SET avatar = ? WHERE id = ? RETURNING *',
  )
  const swapAvatarTx = db.transaction((id: string, avatar: string | null) => {
    const before = byId.get(id)
    if (!before) return null
    return { user: toRecord(setAvatar.get(avatar, id)!), previous: before.avatar }
  })
  // The ids as one JSON parameter: any number of them in one statement, each looked up by index.
  const invitedBy = db.prepare<[string, number], Row>(
    'SELECT * FROM users WHERE invited_by IN (SELECT value FROM json_each(?)) LIMIT ?',
  )
  const ban = db.prepare<[string]>('UPDATE users SET banned = 1 WHERE id IN (SELECT value FROM json_each(?))')
  const mute = db.prepare<[number, string]>(
    'UPDATE users SET muted_until = ? WHERE id IN (SELECT value FROM json_each(?))',
  )
  const admins = db.prepare<[], { n: number }>(
    "SELECT count(*) AS n FROM users WHERE role = 'admin' AND banned = 0",
  )
  const keyOwner = db.prepare<[string], { user_id: string }>('SELECT user_id FROM name_keys WHERE key = ?')
  const claimKey = db.prepare('INSERT OR IGNORE INTO name_keys (key, user_id) VALUES (?, ?)')
  const dropKey = db.prepare('DELETE FROM name_keys WHERE key = ? AND user_id = ?')
  /** Whether another user holds one of the keys. Checked and claimed in one transaction. */
  const clash = (keys: string[], userId: string) =>
    keys.some((k) => {
      const owner = keyOwner.get(k)?.user_id
      return owner !== undefined && owner !== userId
    })
  const createTx = db.transaction((u: UserRecord): 'created' | 'taken' | 'name-taken' => {
    if (clash(nameKeys(u.username), u.id)) return 'taken'
    if (clash(nameKeys(u.displayName), u.id)) return 'name-taken'
    insert.run({
      ...u,
      usernameLower: u.username.toLowerCase(),
      displayNameLower: u.displayName.toLowerCase(),
      theme: JSON.stringify(u.theme),
      vipExpiresAt: ms(u.vipExpiresAt),
      banned: u.banned ? 1 : 0,
      createdAt: u.createdAt.getTime(),
      kind: u.kind ?? 'user',
      invitedBy: u.invitedBy ?? null,
      inviteCode: u.inviteCode ?? null,
      mutedUntil: ms(u.mutedUntil),
    })
    for (const k of userNameKeys(u)) claimKey.run(k, u.id)
    return 'created'
  })
  const updateTx = db.transaction((id: string, patch: UserPatch): Row | null | 'name-taken' => {
    const sets: string[] = []
    const values: unknown[] = []
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) continue
      const [col, conv] = columns[key as keyof UserPatch]
      sets.push(`${col} = ?`)
      values.push(conv(value as never))
      if (key === 'displayName') {
        sets.push('display_name_lower = ?')
        values.push(String(value).toLowerCase())
      }
    }
    const before = byId.get(id)
    if (!before) return null
    if (sets.length === 0) return before
    const name = patch.displayName
    if (name !== undefined) {
      // Keys the user's names have already stay theirs (even one an older user holds too).
      const held = new Set(userNameKeys({ username: before.username, displayName: before.display_name }))
      if (
        clash(
          nameKeys(name).filter((k) => !held.has(k)),
          id,
        )
      )
        return 'name-taken'
      const keep = userNameKeys({ username: before.username, displayName: name })
      for (const k of held) if (!keep.includes(k)) dropKey.run(k, id)
      for (const k of keep) claimKey.run(k, id)
    }
    return db
      .prepare<unknown[], Row>(`UPDATE users SET ${sets.join(', ')} WHERE id = ? RETURNING *`)
      .get(...values, id)!
  })

  return {
    async create(u) {
      try {
        return createTx(u)
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return 'taken'
        throw err
      }
    },
    async get(id) {
      const r = byId.get(id)
      return r ? toRecord(r) : null
    },
    async getByUsername(username) {
      const r = byName.get(username.toLowerCase())
      return r ? toRecord(r) : null
    },
    async update(id, patch) {
      const r = updateTx(id, patch)
      return r === null || r === 'name-taken' ? r : toRecord(r)
    },
    async extendVip(id, days, now) {
      const r = extend.get(now.getTime(), days * 86_400_000, id)
      return r ? toRecord(r) : null
    },
    async swapAvatar(id, avatar) {
      return swapAvatarTx(id, avatar)
    },
    async countAdmins() {
      return admins.get()!.n
    },
    async getMany(ids) {
      if (ids.length === 0) return []
      const rows = db
        .prepare<string[], Row>(`SELECT * FROM users WHERE id IN (${ids.map(() => '?').join(', ')})`)
        .all(...ids)
      return rows.map(toRecord)
    },
    async listInvitedBy(ids, limit) {
      if (ids.length === 0) return []
      return invitedBy.all(JSON.stringify(ids), limit).map(toRecord)
    },
    async freezeMany(ids, change) {
      if (ids.length === 0) return 0
      const list = JSON.stringify(ids)
      return ('banned' in change ? ban.run(list) : mute.run(change.mutedUntil.getTime(), list)).changes
    },
    async list({ q, limit, after }) {
      // Prefixes as ranges on the lowercase columns (see prefixEnd): indexable, and no LIKE
      // wildcard in q can mean anything but itself.
      // A deleted account is nobody to find.
      const where: string[] = ['deleted = 0']
      const params: Record<string, unknown> = { limit: limit + 1 }
      if (q) {
        const lo = q.toLowerCase()
        const hi = prefixEnd(lo)
        const range = (col: string) => (hi === null ? `${col} >= @lo` : `(${col} >= @lo AND ${col} < @hi)`)
        where.push(`(${range('username_lower')} OR ${range('display_name_lower')})`)
        Object.assign(params, { lo, hi })
      }
      if (after) {
        where.push('(username_lower, id) > (@afterName, @afterId)')
        Object.assign(params, { afterName: String(after[0]), afterId: String(after[1]) })
      }
      const sql = `SELECT * FROM users WHERE ${where.join(' AND ')}
                   ORDER BY username_lower, id LIMIT @limit`
      return db.prepare<Record<string, unknown>, Row>(sql).all(params).map(toRecord)
    },
  }
}
