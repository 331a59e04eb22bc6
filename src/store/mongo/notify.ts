// The notification parts on MongoDB (see src/store/notify-store.ts), inside FerretDB 1.x's
// limits: no transactions, and updates applied as read-then-write (a conditional update alone
// lets two writers through, see codes.ts). So every "exactly one wins" rests on a unique `_id`
// insert, the one thing every MongoDB-wire server enforces atomically: a job's id, a token's
// hash, an address, and a job's leases (`${jobId}#${generation}`). A claim inserts the job's next
// lease generation once the one before has lapsed; of two claimers one gets the duplicate key.
// The job document carries the latest generation and its expiry only as a hint for finding
// candidates; the lease documents are the truth. A job's payload is JSON text (no nested arrays
// reach the server).
import { type Db, type IndexDescription, MongoBulkWriteError, type ObjectId } from 'mongodb'
import type {
  EmailMode,
  JobKind,
  NotifySettingsRecord,
  PushSubscriptionRecord,
  RoomLevel,
  TokenRecord,
} from '../notify-records.ts'
import type { NotifyParts } from '../notify-store.ts'
import { hex, isDuplicateKey, oid, oidOrNull } from './ids.ts'

interface SubDoc extends Omit<PushSubscriptionRecord, 'id'> {
  _id: ObjectId
}
interface SettingsDoc {
  _id: string
  push: boolean
  email: EmailMode
}
interface RoomLevelDoc {
  _id: string
  userId: string
  roomId: string
  level: RoomLevel
}
interface TokenDoc extends Omit<TokenRecord, 'hash'> {
  _id: string
}
interface EmailDoc {
  _id: string
  userId: string
}
interface JobDoc {
  _id: string
  kind: JobKind
  group: string | null
  dueAt: Date
  payloadJson: string
  /** The latest lease generation taken (a hint, see the top). */
  attempts: number
  owner: string | null
  leaseUntil: Date | null
  doneAt: Date | null
  createdAt: Date
}
/** One claim of a job: `_id` = `${jobId}#${generation}`, generation 1, 2, … */
interface LeaseDoc {
  _id: string
  owner: string
  until: Date
}

export const notifyIndexes: Record<string, IndexDescription[]> = {
  push_subscriptions: [
    { key: { endpoint: 1 }, name: 'endpoint_unique', unique: true },
    { key: { userId: 1, createdAt: 1 }, name: 'user' },
  ],
  notify_rooms: [
    { key: { roomId: 1, level: 1 }, name: 'room_level' },
    { key: { userId: 1 }, name: 'user' },
    { key: { level: 1 }, name: 'level' },
  ],
  tokens: [{ key: { userId: 1, kind: 1 }, name: 'user_kind' }],
  jobs: [
    { key: { doneAt: 1, group: 1, dueAt: 1 }, name: 'due' },
    { key: { group: 1, doneAt: 1, createdAt: 1 }, name: 'group' },
  ],
}

const toSub = ({ _id, ...rest }: SubDoc): PushSubscriptionRecord => ({ id: hex(_id), ...rest })
const toToken = ({ _id, ...rest }: TokenDoc): TokenRecord => ({ hash: _id, ...rest })
const toJob = ({ _id, payloadJson, ...rest }: JobDoc) => ({
  id: _id,
  ...rest,
  payload: JSON.parse(payloadJson) as Record<string, unknown>,
})

export function mongoNotify(db: Db): NotifyParts {
  const subs = db.collection<SubDoc>('push_subscriptions')
  const settings = db.collection<SettingsDoc>('notify_settings')
  const levels = db.collection<RoomLevelDoc>('notify_rooms')
  const tokens = db.collection<TokenDoc>('tokens')
  const emails = db.collection<EmailDoc>('emails')
  const jobs = db.collection<JobDoc>('jobs')
  const leases = db.collection<LeaseDoc>('job_leases')
  const leaseId = (jobId: string, gen: number) => `${jobId}#${gen}`

  /** The generation `owner` holds of the job now, or null. */
  const heldBy = async (jobId: string, owner: string, now: Date): Promise<number | null> => {
    const doc = await jobs.findOne({ _id: jobId }, { projection: { attempts: 1 } })
    if (!doc) return null
    // The hint may lag behind: look a few generations on.
    const found = await leases
      .find({ _id: { $in: [0, 1, 2, 3].map((k) => leaseId(jobId, doc.attempts + k)) } })
      .toArray()
    const latest = found.sort((a, b) => gen(b._id) - gen(a._id))[0]
    return latest && latest.owner === owner && latest.until > now ? gen(latest._id) : null
  }
  const gen = (id: string) => Number(id.slice(id.lastIndexOf('#') + 1))

  /** Takes the job's next lease generation after `hint` if the one before has lapsed. */
  const tryLease = async (job: JobDoc, owner: string, now: Date, until: Date): Promise<JobDoc | null> => {
    for (let g = job.attempts + 1; g <= job.attempts + 4; g++) {
      try {
        await leases.insertOne({ _id: leaseId(job._id, g), owner, until })
      } catch (err) {
        if (!isDuplicateKey(err)) throw err
        const other = await leases.findOne({ _id: leaseId(job._id, g) })
        if (!other || other.until > now) return null
        continue
      }
      // Generation g is ours; g - 1 was lapsed or absent when we looked (the hint or the loop).
      await jobs.updateOne({ _id: job._id }, { $set: { attempts: g, owner, leaseUntil: until } })
      // A job finished meanwhile (its owner's finish raced our look at a lapsed lease) stays finished.
      const fresh = await jobs.findOne({ _id: job._id })
      if (!fresh || fresh.doneAt !== null) return null
      return { ...fresh, attempts: g, owner, leaseUntil: until }
    }
    return null
  }

  const settingsOf = async (userIds: string[]): Promise<NotifySettingsRecord[]> => {
    const ids = [...new Set(userIds)]
    if (ids.length === 0) return []
    const [docs, rooms] = await Promise.all([
      settings.find({ _id: { $in: ids } }).toArray(),
      levels.find({ userId: { $in: ids } }).toArray(),
    ])
    const byId = new Map(docs.map((d) => [d._id, d]))
    return ids.map((userId) => {
      const d = byId.get(userId)
      return {
        userId,
        push: d?.push ?? true,
        email: d?.email ?? 'off',
        rooms: Object.fromEntries(rooms.filter((r) => r.userId === userId).map((r) => [r.roomId, r.level])),
      }
    })
  }

  return {
    pushSubscriptions: {
      async upsert({ id, ...s }) {
        // Two stores of one endpoint at once: the loser of the unique index retries as an update.
        for (let attempt = 0; ; attempt++) {
          try {
            const doc = await subs.findOneAndUpdate(
              { endpoint: s.endpoint },
              {
                $set: { userId: s.userId, p256dh: s.p256dh, auth: s.auth },
                $setOnInsert: { _id: oid(id), endpoint: s.endpoint, createdAt: s.createdAt },
              },
              { upsert: true, returnDocument: 'after' },
            )
            return hex(doc!._id)
          } catch (err) {
            if (!isDuplicateKey(err) || attempt >= 2) throw err
          }
        }
      },
      async get(id) {
        const _id = oidOrNull(id)
        const doc = _id && (await subs.findOne({ _id }))
        return doc ? toSub(doc) : null
      },
      async ofUser(userId) {
        return (await subs.find({ userId }).sort({ createdAt: 1, _id: 1 }).toArray()).map(toSub)
      },
      async remove(id, userId) {
        const _id = oidOrNull(id)
        if (!_id) return false
        const r = await subs.deleteOne(userId === undefined ? { _id } : { _id, userId })
        return r.deletedCount > 0
      },
    },
    notifySettings: {
      async get(userId) {
        return (await settingsOf([userId]))[0]!
      },
      many: settingsOf,
      async update(userId, patch) {
        const $set: Partial<SettingsDoc> = {}
        if (patch.push !== undefined) $set.push = patch.push
        if (patch.email !== undefined) $set.email = patch.email
        if (Object.keys($set).length > 0) {
          const $setOnInsert: Partial<SettingsDoc> = {}
          if ($set.push === undefined) $setOnInsert.push = true
          if ($set.email === undefined) $setOnInsert.email = 'off'
          await settings.updateOne({ _id: userId }, { $set, $setOnInsert }, { upsert: true }).catch((err) => {
            if (!isDuplicateKey(err)) throw err
            return settings.updateOne({ _id: userId }, { $set })
          })
        }
        for (const [roomId, level] of Object.entries(patch.rooms ?? {})) {
          const _id = `${userId}:${roomId}`
          if (level === 'mentions') await levels.deleteOne({ _id })
          else await levels.replaceOne({ _id }, { userId, roomId, level }, { upsert: true })
        }
        return (await settingsOf([userId]))[0]!
      },
      async roomsWithAll() {
        return (await levels.distinct('roomId', { level: 'all' })) as string[]
      },
      async usersAt(roomId, level) {
        return (await levels.find({ roomId, level }, { projection: { userId: 1 } }).toArray()).map(
          (d) => d.userId,
        )
      },
    },
    tokens: {
      async create({ hash, ...t }) {
        await tokens.insertOne({ _id: hash, ...t })
      },
      async consume(hash, kind, now) {
        // The delete decides (one deleter of a document gets deletedCount 1), not the read.
        const doc = await tokens.findOne({ _id: hash, kind, expiresAt: { $gt: now } })
        if (!doc) return null
        return (await tokens.deleteOne({ _id: hash })).deletedCount === 1 ? toToken(doc) : null
      },
      async removeFor(userId, kind) {
        await tokens.deleteMany({ userId, kind })
      },
    },
    emails: {
      async claim(address, userId) {
        const _id = address.toLowerCase()
        try {
          await emails.insertOne({ _id, userId })
          return 'claimed'
        } catch (err) {
          if (!isDuplicateKey(err)) throw err
          return (await emails.findOne({ _id }))?.userId === userId ? 'claimed' : 'taken'
        }
      },
      async release(address, userId) {
        await emails.deleteOne({ _id: address.toLowerCase(), userId })
      },
      async owner(address) {
        return (await emails.findOne({ _id: address.toLowerCase() }))?.userId ?? null
      },
    },
    jobs: {
      async enqueue(list, now) {
        if (list.length === 0) return 0
        const docs: JobDoc[] = list.map((j) => ({
          _id: j.id,
          kind: j.kind,
          group: j.group ?? null,
          dueAt: j.dueAt,
          payloadJson: JSON.stringify(j.payload),
          attempts: 0,
          owner: null,
          leaseUntil: null,
          doneAt: null,
          createdAt: now,
        }))
        try {
          return (await jobs.insertMany(docs, { ordered: false })).insertedCount
        } catch (err) {
          // The ids that exist are refused one by one; the others are stored.
          if (err instanceof MongoBulkWriteError && err.writeErrors) {
            const errs = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors]
            if (errs.every((e) => e.code === 11000)) return docs.length - errs.length
          }
          if (isDuplicateKey(err) && docs.length === 1) return 0
          throw err
        }
      },
      async claim(owner, now, leaseMs, limit) {
        const candidates = await jobs
          .find({
            doneAt: null,
            group: null,
            dueAt: { $lte: now },
            $or: [{ leaseUntil: null }, { leaseUntil: { $lte: now } }],
          })
          .sort({ dueAt: 1 })
          .limit(limit)
          .toArray()
        const until = new Date(now.getTime() + leaseMs)
        const won = await Promise.all(candidates.map((c) => tryLease(c, owner, now, until)))
        return won.filter((j) => j !== null).map(toJob)
      },
      async finish(id, owner, now) {
        const g = await heldBy(id, owner, now)
        if (g === null) return false
        const r = await jobs.updateOne(
          { _id: id, doneAt: null },
          { $set: { doneAt: now, owner: null, leaseUntil: null } },
        )
        await leases.updateOne({ _id: leaseId(id, g) }, { $set: { until: now } })
        return r.modifiedCount > 0
      },
      async retry(id, owner, dueAt, payload) {
        const now = new Date()
        const g = await heldBy(id, owner, now)
        if (g === null) return false
        const $set: Partial<JobDoc> = { dueAt, owner: null, leaseUntil: null }
        if (payload) $set.payloadJson = JSON.stringify(payload)
        await jobs.updateOne({ _id: id, doneAt: null }, { $set })
        // Lapsed at once: the next claim (when due) takes generation g + 1.
        await leases.updateOne({ _id: leaseId(id, g) }, { $set: { until: new Date(0) } })
        return true
      },
      async entries(group, limit) {
        return (
          await jobs.find({ group, doneAt: null }).sort({ createdAt: 1, _id: 1 }).limit(limit).toArray()
        ).map(toJob)
      },
      async finishEntries(ids, now) {
        if (ids.length > 0)
          await jobs.updateMany({ _id: { $in: ids }, doneAt: null }, { $set: { doneAt: now } })
      },
      async get(id) {
        const doc = await jobs.findOne({ _id: id })
        return doc ? toJob(doc) : null
      },
      async stats() {
        const pending = { doneAt: null, group: null }
        const [depth, oldest] = await Promise.all([
          jobs.countDocuments(pending),
          jobs
            .find(pending, { projection: { dueAt: 1 } })
            .sort({ dueAt: 1 })
            .limit(1)
            .toArray(),
        ])
        return { depth, oldestDueAt: oldest[0]?.dueAt ?? null }
      },
      async purge(before) {
        const old = await jobs
          .find({ doneAt: { $ne: null, $lt: before } }, { projection: { attempts: 1 } })
          .toArray()
        if (old.length === 0) return 0
        const r = await jobs.deleteMany({ _id: { $in: old.map((j) => j._id) } })
        await leases.deleteMany({
          _id: {
            $in: old.flatMap((j) => Array.from({ length: j.attempts + 1 }, (_, k) => leaseId(j._id, k + 1))),
          },
        })
        return r.deletedCount
      },
    },
  }
}
