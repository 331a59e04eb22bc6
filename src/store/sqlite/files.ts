import type { Database } from 'better-sqlite3'
import type { FileRecord } from '../records.ts'
import type { FileStore } from '../store.ts'

export interface FileRow {
  id: string
  room_id: string
  uploader_id: string
  name: string
  size: number
  content_type: string
  created_at: number
}

export const toFile = (r: FileRow): FileRecord => ({
  id: r.id,
  roomId: r.room_id,
  uploaderId: r.uploader_id,
  name: r.name,
  size: r.size,
  contentType: r.content_type,
  createdAt: new Date(r.created_at),
})

export function sqliteFiles(db: Database): FileStore {
  const insert = db.prepare(
    `INSERT INTO files (id, room_id, uploader_id, name, size, content_type, created_at)
     VALUES (@id, @roomId, @uploaderId, @name, @size, @contentType, @createdAt)`,
  )
  const byId = db.prepare<[string], FileRow>('SELECT * FROM files WHERE id = ?')
  const remove = db.prepare('DELETE FROM files WHERE id = ?')
  return {
    async create(file) {
      insert.run({ ...file, createdAt: file.createdAt.getTime() })
    },
    async get(id) {
      const r = byId.get(id)
      return r ? toFile(r) : null
    },
    async delete(id) {
      return remove.run(id).changes > 0
    },
  }
}
