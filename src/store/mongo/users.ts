import type { Db, Filter, IndexDescription, ObjectId } from 'mongodb'
import { newId } from '../../ids.ts'
import { nameKeys, userNameKeys } from '../name-key.ts'
import { prefixRegex } from '../prefix.ts'
import type { UserRecord } from '../records.ts'
import type { UserStore } from '../store.ts'
import { hex, isDuplicateKey, oid, oidOrNull } from './ids.ts'
import { mongoNameKeys } from './name-keys.ts'

export interface UserDoc extends Omit<UserRecord, 'id'> {
  _id: ObjectId
  usernameLower: string
  /** Kept in step with displayName by create and update, for the directory's prefix search. */
  displayNameLower: string
  /** Set once the user's name keys are claimed (src/store/mongo/name-keys.ts). */
  nameKeyed?: true
}

/** One VIP extension: `days` added to max(at, the expiry so far). */
export interface VipGrantDoc {
  _id: ObjectId
  userId: ObjectId
  days: number
  at: Date
}

export const vipGrantIndexes: IndexDescription[] = [{ key: { userId: 1, at: 1 }, name: 'user_at' }]

/**
 * One avatar change of a user: the `n`th, `_id` = `${userId}:${n}`. Taking the next number is an
 * insert, which every MongoDB-wire server makes atomic through the unique `_id` (FerretDB applies
 * updates, conditional ones and findOneAndUpdate included, as read-then-write: concurrent swaps
 * were handed the same previous avatar). The user's `avatar` is a copy of the newest change.
 */
export interface AvatarChangeDoc {
  _id: string
  userId: ObjectId
  n: number
  avatar: string | null
}

export const avatarChangeIndexes: IndexDescription[] = [{ key: { userId: 1, n: -1 }, name: 'user_n' }]

export const userIndexes: IndexDescription[] = [
  { key: { usernameLower: 1 }, name: 'username_unique', unique: true },
  { key: { displayNameLower: 1 }, name: 'display_name_lower' },
  { key: { role: 1 }, name: 'role' },
  { key: { invitedBy: 1 }, name: 'invited_by' },
]

export const toUser = ({
  _id,
  usernameLower: _,
  displayNameLower: __,
  nameKeyed: ___,
  ...rest
}: UserDoc): UserRecord => ({
  id: hex(_id),
  ...rest,
  // Users stored before bots existed have no kind: they are people.
  kind: rest.kind === 'bot' ? 'bot' : 'user',
})

/** Fills displayNameLower on users stored before it existed (idempotent; run at start). */
export async function addDisplayNameLower(db: Db): Promise<void> {
  const users = db.collection<UserDoc>('users')
  const missing = users.find({ displayNameLower: { $exists: false } }, { projection: { displayName: 1 } })
  for await (const u of missing) {
    await users.updateOne({ _id: u._id }, { $set: { displayNameLower: u.displayName.toLowerCase() } })
  }
}

/**
 * Gives users stored before invitations were recorded an explicit null `invitedBy` (idempotent;
 * run at start): the link between a code and its user was never kept, so there is none to find.
 */
export async function addInvitedBy(db: Db): Promise<void> {
  await db
    .collection<UserDoc>('users')
    .updateMany({ invitedBy: { $exists: false } }, { $set: { invitedBy: null, inviteCode: null } })
}

export function mongoUsers(db: Db): UserStore {
  const users = db.collection<UserDoc>('users')
  const grants = db.collection<VipGrantDoc>('vip_grants')
  const avatarChanges = db.collection<AvatarChangeDoc>('avatar_changes')
  const keys = mongoNameKeys(db)
  return {
    async create({ id, ...u }) {
      const _id = oid(id)
      // The keys first (each one user's under the unique _id), then the user; a refusal
      // releases what was claimed.
      const claimed: string[] = []
      const refuse = async (why: 'taken' | 'name-taken') => {
        await keys.release(claimed, _id)
        return why
      }
      if (!(await keys.claimAll(nameKeys(u.username), _id, claimed))) return refuse('taken')
      if (!(await keys.claimAll(nameKeys(u.displayName), _id, claimed))) return refuse('name-taken')
      try {
        await users.insertOne({
          _id,
          usernameLower: u.username.toLowerCase(),
          displayNameLower: u.displayName.toLowerCase(),
          nameKeyed: true,
          ...u,
        })
        return 'created'
      } catch (err) {
        if (isDuplicateKey(err)) return refuse('taken')
        await keys.release(claimed, _id)
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
      const name = patch.displayName
      if (name === undefined || Object.keys($set).length === 0) {
        const doc =
          Object.keys($set).length === 0
            ? await users.findOne({ _id })
            : await users.findOneAndUpdate({ _id }, { $set }, { returnDocument: 'after' })
        return doc ? toUser(doc) : null
      }
      $set.displayNameLower = name.toLowerCase()
      const before = await users.findOne({ _id }, { projection: { username: 1, displayName: 1 } })
      if (!before) return null
      // Keys the user's names have already stay theirs (even one an older user holds too); the
      // new ones are claimed before the write, and the replaced name's are released after it.
      const held = new Set(userNameKeys(before))
      const claimed: string[] = []
      if (
        !(await keys.claimAll(
          nameKeys(name).filter((k) => !held.has(k)),
          _id,
          claimed,
        ))
      ) {
        await keys.release(claimed, _id)
        return 'name-taken'
      }
      const replaced = await users.findOneAndUpdate({ _id }, { $set }, { returnDocument: 'before' })
      if (!replaced) {
        await keys.release(claimed, _id)
        return null
      }
      const keep = userNameKeys({ username: replaced.username, displayName: name })
      await keys.release(
        userNameKeys(replaced).filter((k) => !keep.includes(k)),
        _id,
      )
      return toUser({ ...replaced, ...$set })
    },
    async extendVip(id, days, now) {
      const _id = oidOrNull(id)
      if (!_id || !(await users.findOne({ _id }, { projection: { _id: 1 } }))) return null
      // Every extension is an insert into a ledger (inserts never lose one another); the expiry
      // is folded from the whole ledger and cached on the user. A writer that finds the ledger
      // grew while it wrote folds and writes again, so the last write always saw every grant.
      await grants.insertOne({ _id: oid(newId()), userId: _id, days, at: now })
      for (;;) {
        const all = await grants.find({ userId: _id }).sort({ at: 1, _id: 1 }).toArray()
        let expiry = null as Date | null
        for (const g of all)
          expiry = new Date(Math.max(g.at.getTime(), expiry?.getTime() ?? 0) + g.days * 86_400_000)
        await users.updateOne({ _id }, { $set: { vipExpiresAt: expiry } })
        if ((await grants.countDocuments({ userId: _id })) === all.length) break
      }
      const doc = await users.findOne({ _id })
      return doc ? toUser(doc) : null
    },
    async swapAvatar(id, avatar) {
      const _id = oidOrNull(id)
      if (!_id || !(await users.findOne({ _id }, { projection: { _id: 1 } }))) return null
      const newest = () => avatarChanges.find({ userId: _id }).sort({ n: -1 }).limit(1).next()
      // The next change number, taken by an insert: the change before it is the one replaced.
      let previous: string | null
      for (;;) {
        const last = await newest()
        const n = (last?.n ?? 0) + 1
        previous = last?.avatar ?? null
        try {
          await avatarChanges.insertOne({ _id: `${id}:${n}`, userId: _id, n, avatar })
          break
        } catch (err) {
          if (!isDuplicateKey(err)) throw err
        }
      }
      // The copy on the user, written again while a newer change arrived meanwhile, so the
      // last writer always leaves the newest one.
      for (;;) {
        const current = (await newest())!
        await users.updateOne({ _id }, { $set: { avatar: current.avatar } })
        if ((await newest())!.n === current.n) break
      }
      const doc = await users.findOne({ _id })
      return doc ? { user: toUser(doc), previous } : null
    },
    async countAdmins() {
      return users.countDocuments({ role: 'admin', banned: false })
    },
    async getMany(ids) {
      const _ids = ids.map(oidOrNull).filter((id) => id !== null)
      if (_ids.length === 0) return []
      return (await users.find({ _id: { $in: _ids } }).toArray()).map(toUser)
    },
    async listInvitedBy(ids, limit) {
      if (ids.length === 0) return []
      return (
        await users
          .find({ invitedBy: { $in: ids } })
          .limit(limit)
          .toArray()
      ).map(toUser)
    },
    async freezeMany(ids, change) {
      const _ids = ids.map(oidOrNull).filter((id) => id !== null)
      if (_ids.length === 0) return 0
      const r = await users.updateMany({ _id: { $in: _ids } }, { $set: change })
      return r.matchedCount
    },
    async list({ q, limit, after }) {
      // Anchored, case-sensitive regexes on the stored lowercase copies: a prefix that an index
      // on the field can serve; q is escaped, so `.`, `*` and the like match only themselves.
      // A deleted account is nobody to find.
      const and: Filter<UserDoc>[] = [{ deleted: { $ne: true } }]
      if (q) {
        const $regex = prefixRegex(q.toLowerCase())
        and.push({ $or: [{ usernameLower: { $regex } }, { displayNameLower: { $regex } }] })
      }
      if (after) {
        const name = String(after[0])
        and.push({
          $or: [
            { usernameLower: { $gt: name } },
            { usernameLower: name, _id: { $gt: oid(String(after[1])) } },
          ],
        })
      }
      const docs = await users
        .find({ $and: and })
        .sort({ usernameLower: 1, _id: 1 })
        .limit(limit + 1)
        .toArray()
      return docs.map(toUser)
    },
  }
}
