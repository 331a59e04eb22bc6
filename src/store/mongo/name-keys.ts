// Name keys in MongoDB (src/store/name-key.ts): one document per key, the key its `_id`, so the
// unique `_id` index gives each key to one user, on every instance, without a transaction
// (FerretDB 1.x has none). A user's keys are claimed before the user document is written and
// released when the write is refused; a claim left behind by a writer that died in between (its
// user never written) is taken over once it is older than STALE_MS.
import type { Collection, Db, ObjectId } from 'mongodb'
import { userNameKeys } from '../name-key.ts'
import { isDuplicateKey } from './ids.ts'

export interface NameKeyDoc {
  _id: string
  userId: ObjectId
  at: Date
}

/** Longer than any create or update takes between its claim and its user write. */
const STALE_MS = 60_000

export function mongoNameKeys(db: Db) {
  const keys: Collection<NameKeyDoc> = db.collection<NameKeyDoc>('name_keys')
  const users = db.collection<{ _id: ObjectId }>('users')

  /** True when the key is the user's now (claimed, or theirs already). */
  async function claim(key: string, userId: ObjectId): Promise<boolean> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await keys.insertOne({ _id: key, userId, at: new Date() })
        return true
      } catch (err) {
        if (!isDuplicateKey(err)) throw err
      }
      const held = await keys.findOne({ _id: key })
      if (!held) continue // released meanwhile: try again
      if (held.userId.equals(userId)) return true
      if (held.at.getTime() > Date.now() - STALE_MS) return false
      if (await users.findOne({ _id: held.userId }, { projection: { _id: 1 } })) return false
      const taken = await keys.updateOne(
        { _id: key, userId: held.userId, at: held.at },
        { $set: { userId, at: new Date() } },
      )
      if (taken.modifiedCount === 1) return true
    }
    return false
  }

  return {
    /**
     * Claims every key in `keys` for the user, in order (sorted, so that two writers never hold
     * one each of the other's); on the first refused, releases what this call claimed and says false.
     */
    async claimAll(wanted: string[], userId: ObjectId, claimed: string[]): Promise<boolean> {
      for (const key of [...wanted].sort()) {
        if (claimed.includes(key)) continue
        if (!(await claim(key, userId))) return false
        claimed.push(key)
      }
      return true
    },
    async release(released: string[], userId: ObjectId): Promise<void> {
      if (released.length > 0) await keys.deleteMany({ _id: { $in: released }, userId })
    },
  }
}

/**
 * Gives the users stored before name keys theirs (idempotent; run at start): oldest first,
 * usernames before display names, a key someone older holds not given again (both keep their
 * names; only new names are checked). `nameKeyed` marks the users done.
 */
export async function addNameKeys(db: Db): Promise<void> {
  const users = db.collection<{ _id: ObjectId; username: string; displayName: string; nameKeyed?: true }>(
    'users',
  )
  const keys = db.collection<NameKeyDoc>('name_keys')
  const missing = await users
    .find({ nameKeyed: { $exists: false } }, { projection: { username: 1, displayName: 1, createdAt: 1 } })
    .sort({ createdAt: 1, _id: 1 })
    .toArray()
  for (const pass of ['username', 'displayName'] as const) {
    for (const u of missing) {
      const names = pass === 'username' ? { username: u.username, displayName: u.username } : u
      for (const key of userNameKeys(names)) {
        try {
          await keys.insertOne({ _id: key, userId: u._id, at: new Date(0) })
        } catch (err) {
          if (!isDuplicateKey(err)) throw err
        }
      }
    }
  }
  for (const u of missing) await users.updateOne({ _id: u._id }, { $set: { nameKeyed: true } })
}
