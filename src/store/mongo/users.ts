import type { Db, IndexDescription, ObjectId } from 'mongodb'
import { AppError } from '../../errors.ts'
import type { UserRecord } from '../records.ts'
import type { UserStore } from '../store.ts'
import { hex, isDuplicateKey, oid, oidOrNull } from './ids.ts'

export interface UserDoc extends Omit<UserRecord, 'id'> {
  _id: ObjectId
  usernameLower: string
}

export const userIndexes: IndexDescription[] = [
  { key: { usernameLower: 1 }, name: 'username_unique', unique: true },
  { key: { role: 1 }, name: 'role' },
]

export const toUser = ({ _id, usernameLower: _, ...rest }: UserDoc): UserRecord => ({ id: hex(_id), ...rest })

export function mongoUsers(db: Db): UserStore {
  const users = db.collection<UserDoc>('users')
  return {
    async create({ id, ...u }) {
      try {
        await users.insertOne({ _id: oid(id), usernameLower: u.username.toLowerCase(), ...u })
      } catch (err) {
        if (isDuplicateKey(err)) throw new AppError(409, 'USERNAME_TAKEN', 'That username is taken')
        throw err
      }
    },
    async get(id) {
      const _id = oidOrNull(id)
      const doc = _id && (await users.findOne({ _id }))
      return doc ? toUser(doc) : null
    },
    async getByUsername(username) {
      const doc = await users.findOne({ usernameLower: username.toLowerCase() })
      return doc ? toUser(doc) : null
    },
    async update(id, patch) {
      const _id = oidOrNull(id)
      if (!_id) return null
      const $set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined))
      const doc =
        Object.keys($set).length === 0
          ? await users.findOne({ _id })
          : await users.findOneAndUpdate({ _id }, { $set }, { returnDocument: 'after' })
      return doc ? toUser(doc) : null
    },
    async extendVip(id, days, now) {
      const _id = oidOrNull(id)
      if (!_id) return null
      // Compare-and-set on the previous expiry (no update pipelines on every MongoDB-wire
      // server): a concurrent extension makes the filter miss, and we read again and retry.
      for (;;) {
        const doc = await users.findOne({ _id })
        if (!doc) return null
        const base = doc.vipExpiresAt && doc.vipExpiresAt > now ? doc.vipExpiresAt : now
        const next = new Date(base.getTime() + days * 86_400_000)
        const updated = await users.findOneAndUpdate(
          { _id, vipExpiresAt: doc.vipExpiresAt },
          { $set: { vipExpiresAt: next } },
          { returnDocument: 'after' },
        )
        if (updated) return toUser(updated)
      }
    },
    async countAdmins() {
      return users.countDocuments({ role: 'admin' })
    },
  }
}
