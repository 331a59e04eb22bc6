import type { Db, Filter, IndexDescription, ObjectId, Sort } from 'mongodb'
import type { PostRecord } from '../records.ts'
import type { PostListQuery, PostStore } from '../store.ts'
import { hex, oid, oidOrNull } from './ids.ts'

/** Posts are only inserted and deleted, never updated: nothing here leans on update atomicity. */
export interface PostDoc extends Omit<PostRecord, 'id'> {
  _id: ObjectId
}

export const postIndexes: IndexDescription[] = [{ key: { wall: 1, _id: -1 }, name: 'wall_newest' }]

export const toPost = ({ _id, ...rest }: PostDoc): PostRecord => ({ id: hex(_id), ...rest })

/** The query for one page of a wall, newest first; served by `wall_newest` (tested with explain). */
export function wallPageQuery({ wall, after }: Pick<PostListQuery, 'wall' | 'after'>): {
  filter: Filter<PostDoc>
  sort: Sort
} {
  return {
    filter: { wall, ...(after ? { _id: { $lt: oid(String(after[0])) } } : {}) },
    sort: { _id: -1 },
  }
}

export function mongoPosts(db: Db): PostStore {
  const posts = db.collection<PostDoc>('posts')
  return {
    async create({ id, ...p }) {
      await posts.insertOne({ _id: oid(id), ...p })
    },
    async insertMany(list) {
      if (list.length === 0) return
      await posts.insertMany(list.map(({ id, ...p }) => ({ _id: oid(id), ...p })))
    },
    async get(id) {
      const _id = oidOrNull(id)
      const doc = _id && (await posts.findOne({ _id }))
      return doc ? toPost(doc) : null
    },
    async delete(id) {
      const _id = oidOrNull(id)
      return _id !== null && (await posts.deleteOne({ _id })).deletedCount > 0
    },
    async list({ wall, limit, after }) {
      const { filter, sort } = wallPageQuery({ wall, after })
      const docs = await posts
        .find(filter)
        .sort(sort)
        .limit(limit + 1)
        .toArray()
      return docs.map(toPost)
    },
  }
}
