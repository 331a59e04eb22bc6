// The scaled Files adapter: GridFS on the store's MongoDB database (`fs.files`, `fs.chunks`).
// GridFS writes the `fs.files` document only after the last chunk, so a file is readable only
// once complete. A failed upload is cleaned here: the driver's upload stream does not remove
// its chunks when destroyed, and chunk inserts already sent can land after an abort, so the
// cleanup waits for them and then deletes every chunk of the id.
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import {
  type Binary,
  type Collection,
  type Db,
  GridFSBucket,
  type GridFSBucketWriteStream,
  ObjectId,
} from 'mongodb'
import { isId } from '../ids.ts'
import { createIndex } from '../store/mongo/index.ts'
import type { ByteRange, FileLocation, Files } from './files.ts'

/** How long a failed upload's cleanup waits for its chunk inserts in flight. */
const SETTLE_MS = 15_000
const ERRORED_SETTLE_MS = 1000

/** Chunks fetched per query when reading (255 KiB each by default). */
const READ_BATCH = 8

interface FileDoc {
  _id: ObjectId
  length: number
  chunkSize: number
}

interface ChunkDoc {
  files_id: ObjectId
  n: number
  data: Binary
}

const oid = (id: string): ObjectId => {
  if (!isId(id)) throw new Error(`not a file or room id: ${JSON.stringify(id).slice(0, 40)}`)
  return new ObjectId(id)
}

export async function gridfsFiles(db: Db): Promise<Files> {
  // The indexes GridFS would create on first upload, created now like the store's own: several
  // instances creating them at once on their first uploads is what FerretDB copes with badly.
  await createIndex(db, 'fs.files', { key: { filename: 1, uploadDate: 1 }, name: 'filename_1_uploadDate_1' })
  await createIndex(db, 'fs.files', { key: { 'metadata.roomId': 1 }, name: 'room' })
  await createIndex(db, 'fs.chunks', { key: { files_id: 1, n: 1 }, name: 'files_id_1_n_1', unique: true })
  return new GridFsFiles(db)
}

class GridFsFiles implements Files {
  readonly kind = 'gridfs'
  private readonly bucket: GridFSBucket
  private readonly files: Collection
  private readonly chunks: Collection<ChunkDoc>

  constructor(db: Db) {
    this.bucket = new GridFSBucket(db)
    this.files = db.collection('fs.files')
    this.chunks = db.collection<ChunkDoc>('fs.chunks')
  }

  async write(at: FileLocation, source: Readable): Promise<number> {
    // Checked first: the cleanup of a failed upload deletes every chunk of its id, which would
    // take an existing file's bytes with it.
    if (await this.files.findOne({ _id: oid(at.id) }, { projection: { _id: 1 } })) {
      source.destroy()
      throw new Error(`a file ${at.id} exists already`)
    }
    const upload = this.bucket.openUploadStreamWithId(oid(at.id), at.id, {
      metadata: { roomId: oid(at.roomId) },
    })
    try {
      await pipeline(source, upload)
      return upload.length
    } catch (err) {
      await this.purge(upload)
      throw err
    }
  }

  async read(at: FileLocation, range?: ByteRange): Promise<Readable | null> {
    const file = await this.files.findOne<FileDoc>(
      { _id: oid(at.id) },
      { projection: { length: 1, chunkSize: 1 } },
    )
    return file ? readChunks(this.chunks, file, range) : null
  }

  async delete(at: FileLocation): Promise<void> {
    await this.remove([oid(at.id)])
  }

  async deleteByRoom(roomId: string): Promise<void> {
    const filter = { 'metadata.roomId': oid(roomId) }
    for (;;) {
      const batch = await this.files
        .find(filter, { projection: { _id: 1 } })
        .limit(500)
        .toArray()
      await this.remove(batch.map((d) => d._id as ObjectId))
      if (batch.length < 500) return
    }
  }

  private async remove(ids: ObjectId[]): Promise<void> {
    if (ids.length === 0) return
    await this.files.deleteMany({ _id: { $in: ids } })
    await this.chunks.deleteMany({ files_id: { $in: ids } })
  }

  /** Removes what a failed upload wrote, once nothing of it is still on its way. */
  private async purge(upload: GridFSBucketWriteStream): Promise<void> {
    // Marks the stream aborted (no further chunk is sent) and deletes the chunks stored so far.
    await upload.abort().catch(() => {})
    // After a failed insert the driver's count of requests in flight stops going down: then
    // wait a little for the others instead.
    const started = Date.now()
    const settled = () =>
      upload.state.outstandingRequests === 0 ||
      Date.now() - started > (upload.state.errored ? ERRORED_SETTLE_MS : SETTLE_MS)
    while (!settled()) await new Promise((r) => setTimeout(r, 10))
    await this.remove([upload.id])
  }
}

/**
 * The bytes of a file (or of a range of it) through one cursor of READ_BATCH chunks per batch,
 * pulled only as fast as the consumer reads. The driver's download stream leaves the batch size
 * to the server (tens of MB at a time on FerretDB), which a slow reader would hold in memory.
 */
function readChunks(chunks: Collection<ChunkDoc>, file: FileDoc, range?: ByteRange): Readable {
  const start = range?.start ?? 0
  const end = range?.end ?? file.length - 1
  if (file.length === 0 || end < start) return Readable.from([])
  const first = Math.floor(start / file.chunkSize)
  const last = Math.floor(end / file.chunkSize)
  async function* bytes(): AsyncGenerator<Buffer> {
    const cursor = chunks
      .find({ files_id: file._id, n: { $gte: first, $lte: last } })
      .sort({ n: 1 })
      .batchSize(READ_BATCH)
    try {
      let next = first
      for await (const doc of cursor) {
        if (doc.n !== next) throw new Error(`chunk ${next} of file ${file._id} is missing`)
        const data = doc.data.buffer
        const from = doc.n === first ? start - doc.n * file.chunkSize : 0
        const to = doc.n === last ? end - doc.n * file.chunkSize + 1 : data.length
        if (to > data.length) throw new Error(`chunk ${doc.n} of file ${file._id} is short`)
        next++
        yield Buffer.from(data.buffer, data.byteOffset + from, to - from)
      }
      if (next <= last) throw new Error(`chunk ${next} of file ${file._id} is missing`)
    } finally {
      // Also when the reader goes away early (a client that stops downloading).
      await cursor.close()
    }
  }
  return Readable.from(bytes(), { objectMode: false, highWaterMark: file.chunkSize })
}
