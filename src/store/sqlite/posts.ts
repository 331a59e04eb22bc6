import type { Database } from 'better-sqlite3'
import type { PostRecord } from '../records.ts'
import type { PostStore } from '../store.ts'

export interface Row {
  id: string
  wall: string
  author_id: string
  text: string
  created_at: number
}

export const toRecord = (r: Row): PostRecord => ({
  id: r.id,
  wall: r.wall,
  authorId: r.author_id,
  text: r.text,
  createdAt: new Date(r.created_at),
})

/** One page of a wall, newest first; served by the index posts(wall, id) (tested with EXPLAIN). */
export const wallPageSql = {
  first: 'SELECT * FROM posts WHERE wall = @wall ORDER BY id DESC LIMIT @limit',
  after: 'SELECT * FROM posts WHERE wall = @wall AND id < @after ORDER BY id DESC LIMIT @limit',
}

export function sqlitePosts(db: Database): PostStore {
  const insert = db.prepare(
    'INSERT INTO posts (id, wall, author_id, text, created_at) VALUES (@id, @wall, @authorId, @text, @createdAt)',
  )
  const add = (p: PostRecord) => insert.run({ ...p, createdAt: p.createdAt.getTime() })
  const addAll = db.transaction((posts: PostRecord[]) => {
    for (const p of posts) add(p)
  })
  const byId = db.prepare<[string], Row>('SELECT * FROM posts WHERE id = ?')
  const remove = db.prepare('DELETE FROM posts WHERE id = ?')
  const first = db.prepare<{ wall: string; limit: number }, Row>(wallPageSql.first)
  const after = db.prepare<{ wall: string; after: string; limit: number }, Row>(wallPageSql.after)

  return {
    async create(post) {
      add(post)
    },
    async insertMany(posts) {
      addAll(posts)
    },
    async get(id) {
      const r = byId.get(id)
      return r ? toRecord(r) : null
    },
    async delete(id) {
      return remove.run(id).changes > 0
    },
    async list({ wall, limit, after: key }) {
      const rows = key
        ? after.all({ wall, after: String(key[0]), limit: limit + 1 })
        : first.all({ wall, limit: limit + 1 })
      return rows.map(toRecord)
    },
  }
}
