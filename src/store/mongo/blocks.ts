// Blocks on MongoDB: one document per pair, its `_id` the pair itself, so an add is idempotent
// by the primary key (no index of its own to trust). The limit is counted before the insert:
// concurrent adds of one user can pass it by the few racing, never by more.
import type { Db, IndexDescription } from 'mongodb'
import type { BlockStore } from '../store.ts'
import { isDuplicateKey } from './ids.ts'

interface BlockDoc {
  _id: string
  user: string
  other: string
  at: Date
}

export const blockIndexes: IndexDescription[] = [{ key: { user: 1, at: -1 }, name: 'by_user' }]

export function mongoBlocks(db: Db): BlockStore {
  const blocks = db.collection<BlockDoc>('blocks')
  const key = (user: string, other: string) => `${user}:${other}`
  return {
    async add(user, other, at, max) {
      const held = () => blocks.findOne({ _id: key(user, other) }, { projection: { _id: 1 } })
      if (await held()) return 'already'
      // A racing add of the same pair may have filled the last place: that one is held, not full.
      if ((await blocks.countDocuments({ user })) >= max) return (await held()) ? 'already' : 'full'
      try {
        await blocks.insertOne({ _id: key(user, other), user, other, at })
        return 'added'
      } catch (err) {
        if (isDuplicateKey(err)) return 'already'
        throw err
      }
    },
    async remove(user, other) {
      return (await blocks.deleteOne({ _id: key(user, other) })).deletedCount > 0
    },
    async list(user) {
      const docs = await blocks
        .find({ user }, { projection: { other: 1 } })
        .sort({ at: -1, _id: -1 })
        .toArray()
      return docs.map((d) => d.other)
    },
  }
}
