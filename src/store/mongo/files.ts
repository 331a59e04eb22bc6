import type { Db, IndexDescription, ObjectId } from 'mongodb'
import type { FileRecord } from '../records.ts'
import type { FileStore } from '../store.ts'
import { hex, oid, oidOrNull } from './ids.ts'

/** The record of a file; the bytes are in GridFS (`fs.files`/`fs.chunks`) under the same `_id`. */
export interface FileDoc extends Omit<FileRecord, 'id' | 'roomId' | 'uploaderId'> {
  _id: ObjectId
  roomId: ObjectId
  uploaderId: ObjectId
}

export const fileIndexes: IndexDescription[] = [{ key: { roomId: 1 }, name: 'room' }]

export const toFile = ({ _id, roomId, uploaderId, ...rest }: FileDoc): FileRecord => ({
  id: hex(_id),
  roomId: hex(roomId),
  uploaderId: hex(uploaderId),
  ...rest,
})

export function mongoFiles(db: Db): FileStore {
  const files = db.collection<FileDoc>('files')
  return {
    async create({ id, roomId, uploaderId, ...rest }) {
      await files.insertOne({ _id: oid(id), roomId: oid(roomId), uploaderId: oid(uploaderId), ...rest })
    },
    async get(id) {
      const _id = oidOrNull(id)
      const doc = _id && (await files.findOne({ _id }))
      return doc ? toFile(doc) : null
    },
    async delete(id) {
      const _id = oidOrNull(id)
      return _id !== null && (await files.deleteOne({ _id })).deletedCount > 0
    },
  }
}
