// The notification parts on SQLite (see src/store/notify-store.ts). better-sqlite3 runs one
// statement at a time in this process, and a claim is one UPDATE … RETURNING: two handles on
// the file never claim the same job (SQLite's write lock serialises them).
import type { Database } from 'better-sqlite3'
import type {
  EmailMode,
  JobRecord,
  NotifySettingsRecord,
  PushSubscriptionRecord,
  RoomLevel,
  TokenRecord,
} from '../notify-records.ts'
import type { NotifyParts } from '../notify-store.ts'
import { date } from './schema.ts'

interface SubRow {
  id: string
  user_id: string
  endpoint: string
  p256dh: string
  auth: string
  created_at: number
}
const toSub = (r: SubRow): PushSubscriptionRecord => ({
  id: r.id,
  userId: r.user_id,
  endpoint: r.endpoint,
  p256dh: r.p256dh,
  auth: r.auth,
  createdAt: new Date(r.created_at),
})

interface TokenRow {
  hash: string
  kind: TokenRecord['kind']
  user_id: string
  email: string | null
  expires_at: number
  created_at: number
}
const toToken = (r: TokenRow): TokenRecord => ({
  hash: r.hash,
  kind: r.kind,
  userId: r.user_id,
  email: r.email,
  expiresAt: new Date(r.expires_at),
  createdAt: new Date(r.created_at),
})

interface JobRow {
  id: string
  kind: JobRecord['kind']
  grp: string | null
  due_at: number
  payload: string
  attempts: number
  owner: string | null
  lease_until: number | null
  done_at: number | null
  created_at: number
}
const toJob = (r: JobRow): JobRecord => ({
  id: r.id,
  kind: r.kind,
  group: r.grp,
  dueAt: new Date(r.due_at),
  payload: JSON.parse(r.payload),
  attempts: r.attempts,
  owner: r.owner,
  leaseUntil: date(r.lease_until),
  doneAt: date(r.done_at),
  createdAt: new Date(r.created_at),
})

const defaults = (userId: string): NotifySettingsRecord => ({ userId, push: true, email: 'off', rooms: {} })

export function sqliteNotify(db: Database): NotifyParts {
  const subInsert = db.prepare<[string, string, string, string, string, number], { id: string }>(
    `INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(endpoint) DO UPDATE SET user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth
     RETURNING id`,
  )
  const subGet = db.prepare<[string], SubRow>('SELECT * FROM push_subscriptions WHERE id = ?')
  const subOfUser = db.prepare<[string], SubRow>(
    'SELECT * FROM push_subscriptions WHERE user_id = ? ORDER BY created_at, id',
  )
  const subRemove = db.prepare<[string], unknown>('DELETE FROM push_subscriptions WHERE id = ?')
  const subRemoveOwn = db.prepare<[string, string], unknown>(
    'DELETE FROM push_subscriptions WHERE id = ? AND user_id = ?',
  )

  const settingsGet = db.prepare<[string], { push: number; email: EmailMode }>(
    'SELECT push, email FROM notify_settings WHERE user_id = ?',
  )
  const roomsGet = db.prepare<[string], { room_id: string; level: RoomLevel }>(
    'SELECT room_id, level FROM notify_rooms WHERE user_id = ?',
  )
  const settingsPut = db.prepare<[string, number, string], unknown>(
    `INSERT INTO notify_settings (user_id, push, email) VALUES (?, ?, ?)
     ON CONFLICT(user_id) DO UPDATE SET push = excluded.push, email = excluded.email`,
  )
  const roomPut = db.prepare<[string, string, string], unknown>(
    `INSERT INTO notify_rooms (user_id, room_id, level) VALUES (?, ?, ?)
     ON CONFLICT(user_id, room_id) DO UPDATE SET level = excluded.level`,
  )
  const roomDrop = db.prepare<[string, string], unknown>(
    'DELETE FROM notify_rooms WHERE user_id = ? AND room_id = ?',
  )
  const allRooms = db.prepare<[], { room_id: string }>(
    "SELECT DISTINCT room_id FROM notify_rooms WHERE level = 'all'",
  )
  const usersAt = db.prepare<[string, string], { user_id: string }>(
    'SELECT user_id FROM notify_rooms WHERE room_id = ? AND level = ?',
  )

  const tokenInsert = db.prepare(
    `INSERT INTO tokens (hash, kind, user_id, email, expires_at, created_at)
     VALUES (@hash, @kind, @userId, @email, @expiresAt, @createdAt)`,
  )
  const tokenTake = db.prepare<[string, string, number], TokenRow>(
    'DELETE FROM tokens WHERE hash = ? AND kind = ? AND expires_at > ? RETURNING *',
  )
  const tokenDropFor = db.prepare<[string, string], unknown>(
    'DELETE FROM tokens WHERE user_id = ? AND kind = ?',
  )

  const emailClaim = db.prepare<[string, string], unknown>(
    'INSERT INTO emails (address_lower, user_id) VALUES (?, ?) ON CONFLICT(address_lower) DO NOTHING',
  )
  const emailOwner = db.prepare<[string], { user_id: string }>(
    'SELECT user_id FROM emails WHERE address_lower = ?',
  )
  const emailRelease = db.prepare<[string, string], unknown>(
    'DELETE FROM emails WHERE address_lower = ? AND user_id = ?',
  )

  const jobInsert = db.prepare(
    `INSERT INTO jobs (id, kind, grp, due_at, payload, attempts, created_at)
     VALUES (@id, @kind, @grp, @dueAt, @payload, 0, @createdAt) ON CONFLICT(id) DO NOTHING`,
  )
  const jobClaim = db.prepare<[string, number, number, number, number], JobRow>(
    `UPDATE jobs SET owner = ?, lease_until = ?, attempts = attempts + 1
     WHERE id IN (SELECT id FROM jobs
                  WHERE done_at IS NULL AND grp IS NULL AND due_at <= ?
                    AND (lease_until IS NULL OR lease_until <= ?)
                  ORDER BY due_at LIMIT ?)
     RETURNING *`,
  )
  const jobFinish = db.prepare<[number, string, string], unknown>(
    'UPDATE jobs SET done_at = ?, owner = NULL, lease_until = NULL WHERE id = ? AND owner = ? AND done_at IS NULL',
  )
  const jobRetry = db.prepare<[number, string | null, string, string], unknown>(
    `UPDATE jobs SET due_at = ?, payload = coalesce(?, payload), owner = NULL, lease_until = NULL
     WHERE id = ? AND owner = ? AND done_at IS NULL`,
  )
  const jobEntries = db.prepare<[string, number], JobRow>(
    'SELECT * FROM jobs WHERE grp = ? AND done_at IS NULL ORDER BY created_at, id LIMIT ?',
  )
  const jobFinishEntry = db.prepare<[number, string], unknown>(
    'UPDATE jobs SET done_at = ? WHERE id = ? AND done_at IS NULL',
  )
  const jobGet = db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?')
  const jobStats = db.prepare<[], { n: number; oldest: number | null }>(
    'SELECT count(*) AS n, min(due_at) AS oldest FROM jobs WHERE done_at IS NULL AND grp IS NULL',
  )
  const jobPurge = db.prepare<[number], unknown>('DELETE FROM jobs WHERE done_at IS NOT NULL AND done_at < ?')

  const settingsOf = (userId: string): NotifySettingsRecord => {
    const row = settingsGet.get(userId)
    const rooms = Object.fromEntries(roomsGet.all(userId).map((r) => [r.room_id, r.level]))
    return row ? { userId, push: row.push === 1, email: row.email, rooms } : { ...defaults(userId), rooms }
  }

  return {
    pushSubscriptions: {
      async upsert(s) {
        return subInsert.get(s.id, s.userId, s.endpoint, s.p256dh, s.auth, s.createdAt.getTime())!.id
      },
      async get(id) {
        const r = subGet.get(id)
        return r ? toSub(r) : null
      },
      async ofUser(userId) {
        return subOfUser.all(userId).map(toSub)
      },
      async remove(id, userId) {
        const r = (userId === undefined ? subRemove.run(id) : subRemoveOwn.run(id, userId)) as {
          changes: number
        }
        return r.changes > 0
      },
    },
    notifySettings: {
      async get(userId) {
        return settingsOf(userId)
      },
      async many(userIds) {
        return [...new Set(userIds)].map(settingsOf)
      },
      async update(userId, patch) {
        db.transaction(() => {
          const now = settingsOf(userId)
          settingsPut.run(userId, (patch.push ?? now.push) ? 1 : 0, patch.email ?? now.email)
          for (const [room, level] of Object.entries(patch.rooms ?? {})) {
            if (level === 'mentions') roomDrop.run(userId, room)
            else roomPut.run(userId, room, level)
          }
        })()
        return settingsOf(userId)
      },
      async roomsWithAll() {
        return allRooms.all().map((r) => r.room_id)
      },
      async usersAt(roomId, level) {
        return usersAt.all(roomId, level).map((r) => r.user_id)
      },
    },
    tokens: {
      async create(t) {
        tokenInsert.run({ ...t, expiresAt: t.expiresAt.getTime(), createdAt: t.createdAt.getTime() })
      },
      async consume(hash, kind, now) {
        const r = tokenTake.get(hash, kind, now.getTime())
        return r ? toToken(r) : null
      },
      async removeFor(userId, kind) {
        tokenDropFor.run(userId, kind)
      },
    },
    emails: {
      async claim(address, userId) {
        const key = address.toLowerCase()
        emailClaim.run(key, userId)
        return emailOwner.get(key)?.user_id === userId ? 'claimed' : 'taken'
      },
      async release(address, userId) {
        emailRelease.run(address.toLowerCase(), userId)
      },
      async owner(address) {
        return emailOwner.get(address.toLowerCase())?.user_id ?? null
      },
    },
    jobs: {
      async enqueue(jobs, now) {
        let added = 0
        db.transaction(() => {
          for (const j of jobs) {
            const r = jobInsert.run({
              id: j.id,
              kind: j.kind,
              grp: j.group ?? null,
              dueAt: j.dueAt.getTime(),
              payload: JSON.stringify(j.payload),
              createdAt: now.getTime(),
            })
            added += r.changes
          }
        })()
        return added
      },
      async claim(owner, now, leaseMs, limit) {
        const t = now.getTime()
        return jobClaim
          .all(owner, t + leaseMs, t, t, limit)
          .map(toJob)
          .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())
      },
      async finish(id, owner, now) {
        return (jobFinish.run(now.getTime(), id, owner) as { changes: number }).changes > 0
      },
      async retry(id, owner, dueAt, payload) {
        const r = jobRetry.run(dueAt.getTime(), payload ? JSON.stringify(payload) : null, id, owner)
        return (r as { changes: number }).changes > 0
      },
      async entries(group, limit) {
        return jobEntries.all(group, limit).map(toJob)
      },
      async finishEntries(ids, now) {
        db.transaction(() => {
          for (const id of ids) jobFinishEntry.run(now.getTime(), id)
        })()
      },
      async get(id) {
        const r = jobGet.get(id)
        return r ? toJob(r) : null
      },
      async stats() {
        const r = jobStats.get()!
        return { depth: r.n, oldestDueAt: date(r.oldest) }
      },
      async purge(before) {
        return (jobPurge.run(before.getTime()) as { changes: number }).changes
      },
    },
  }
}
