import type { Db, IndexDescription, ObjectId } from 'mongodb'
import type { SessionRecord } from '../records.ts'
import type { SessionStore } from '../store.ts'
import { hex, oid, oidOrNull } from './ids.ts'

export interface SessionDoc extends Omit<SessionRecord, 'id'> {
  _id: ObjectId
}

export const sessionIndexes: IndexDescription[] = [{ key: { userId: 1 }, name: 'user' }]

export const toSession = ({ _id, ...rest }: SessionDoc): SessionRecord => ({ id: hex(_id), ...rest })

export function mongoSessions(db: Db): SessionStore {
  const sessions = db.collection<SessionDoc>('sessions')
  return {
    async create({ id, ...s }) {
      await sessions.insertOne({ _id: oid(id), ...s })
    },
    async get(id) {
      const _id = oidOrNull(id)
      const doc = _id && (await sessions.findOne({ _id }))
      return doc ? toSession(doc) : null
    },
    async revoke(id, at) {
      const _id = oidOrNull(id)
      if (!_id) return false
      const r = await sessions.updateOne({ _id, revokedAt: null }, { $set: { revokedAt: at } })
      return r.modifiedCount > 0
    },
    async revokeAllForUser(userId, at, exceptId) {
      const filter = {
        userId,
        revokedAt: null,
        ...(exceptId ? { _id: { $ne: oid(exceptId) } } : {}),
      }
      const live = await sessions.find(filter, { projection: { _id: 1 } }).toArray()
      if (live.length === 0) return []
      await sessions.updateMany({ _id: { $in: live.map((s) => s._id) } }, { $set: { revokedAt: at } })
      return live.map((s) => hex(s._id))
    },
    async revokeAllForUsers(userIds, at) {
      if (userIds.length === 0) return []
      const live = await sessions
        .find({ userId: { $in: userIds }, revokedAt: null }, { projection: { _id: 1, userId: 1 } })
        .toArray()
      if (live.length === 0) return []
      await sessions.updateMany({ _id: { $in: live.map((s) => s._id) } }, { $set: { revokedAt: at } })
      return live.map((s) => ({ id: hex(s._id), userId: s.userId }))
    },
  }
}
