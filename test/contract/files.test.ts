// The Files contract (src/files/files.ts), run against every implementation: files on disk
// under a directory of their own, and GridFS on a MongoDB-wire database of its own.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { MongoClient } from 'mongodb'
import t, { type Test } from 'tap'
import type { Files } from '../../src/files/files.ts'
import { diskFiles } from '../../src/files/files-disk.ts'
import { gridfsFiles } from '../../src/files/files-gridfs.ts'
import { newId } from '../../src/ids.ts'
import { isolatedMongoUrl, mongoUrl, needServer } from '../helpers/servers.ts'

/** The bytes of a stream, or null for none. */
async function bytesOf(stream: Readable | null): Promise<Buffer | null> {
  if (!stream) return null
  const parts: Buffer[] = []
  for await (const part of stream) parts.push(Buffer.from(part as Uint8Array))
  return Buffer.concat(parts)
}

/** `size` bytes that differ from one offset to the next, in chunks of `chunk`. */
function pattern(size: number, seed = 7): Buffer {
  const b = Buffer.alloc(size)
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed) % 251
  return b
}

const chunked = (b: Buffer, chunk = 64 * 1024) =>
  Readable.from(
    (function* () {
      for (let i = 0; i < b.length; i += chunk) yield b.subarray(i, i + chunk)
    })(),
  )

/** A source that yields some bytes, then fails. */
const failing = (before: Buffer) =>
  Readable.from(
    (async function* () {
      yield before
      await new Promise((r) => setTimeout(r, 20))
      throw new Error('the client went away')
    })(),
  )

/** Files left under a location that nobody may read: what a failed write must not leave. */
type Leftovers = () => Promise<number>

function contract(name: string, setup: (t: Test) => Promise<{ files: Files; leftovers: Leftovers } | null>) {
  t.test(`${name} files`, async (t) => {
    const opened = await setup(t)
    if (!opened) return
    const { files, leftovers } = opened
    const room = newId()
    const at = () => ({ id: newId(), roomId: room })

    t.test('write streams a file in and resolves with its size; read gives it back whole', async (t) => {
      // Larger than a GridFS chunk (255 KiB) and not a multiple of one.
      const body = pattern(700_001)
      const where = at()
      t.equal(await files.write(where, chunked(body)), body.length)
      t.same(await bytesOf(await files.read(where)), body)
      const empty = at()
      t.equal(await files.write(empty, Readable.from([])), 0, 'an empty file is a file')
      t.same(await bytesOf(await files.read(empty)), Buffer.alloc(0))
    })

    t.test('a range gives exactly its bytes, both ends included, across chunk edges', async (t) => {
      const body = pattern(600_000, 3)
      const where = at()
      await files.write(where, chunked(body, 100_000))
      for (const [start, end] of [
        [0, 0],
        [10, 19],
        [261_100, 261_200], // across the first GridFS chunk edge (261,120 bytes)
        [0, body.length - 1],
        [body.length - 1, body.length - 1],
        [255_000, 530_000],
      ] as const) {
        t.same(
          await bytesOf(await files.read(where, { start, end })),
          body.subarray(start, end + 1),
          `${start}-${end}`,
        )
      }
    })

    t.test('a file that is not there reads as null', async (t) => {
      t.equal(await files.read(at()), null)
    })

    t.test('writing an id that exists is an error and keeps the first file', async (t) => {
      const where = at()
      await files.write(where, chunked(pattern(1000)))
      await t.rejects(files.write(where, chunked(pattern(2000, 9))))
      t.same(await bytesOf(await files.read(where)), pattern(1000))
    })

    t.test('a failed source rejects with its error and leaves nothing behind', async (t) => {
      const before = await leftovers()
      const where = at()
      await t.rejects(files.write(where, failing(pattern(300_000))), { message: 'the client went away' })
      t.equal(await files.read(where), null, 'nothing to read')
      t.equal(await leftovers(), before, 'no partial file, temporary file or chunk')
    })

    t.test('ids are the server’s 24-hex ids, never a name', async (t) => {
      for (const bad of ['../../etc/passwd', 'x', `${newId()}/..`, ''])
        await t.rejects(
          (async () => files.read({ id: bad, roomId: room }))(),
          /not a file or room id/,
          JSON.stringify(bad),
        )
      await t.rejects(
        (async () => files.write({ id: newId(), roomId: '..' }, Readable.from([])))(),
        /not a file or room id/,
      )
    })

    t.test('delete removes one file; deleting what is not there is fine', async (t) => {
      const [a, b] = [at(), at()]
      await files.write(a, chunked(pattern(300_000)))
      await files.write(b, chunked(pattern(10)))
      await files.delete(a)
      t.equal(await files.read(a), null)
      t.same(await bytesOf(await files.read(b)), pattern(10), 'the other file stays')
      await files.delete(a)
      await files.delete(at())
    })

    t.test('deleteByRoom removes every file of the room and only those', async (t) => {
      const doomed = newId()
      const kept = { id: newId(), roomId: newId() }
      const many = Array.from({ length: 12 }, () => ({ id: newId(), roomId: doomed }))
      for (const f of many) await files.write(f, chunked(pattern(300_000)))
      await files.write(kept, chunked(pattern(50)))
      await files.deleteByRoom(doomed)
      for (const f of many) t.equal(await files.read(f), null)
      t.same(await bytesOf(await files.read(kept)), pattern(50), 'another room’s file stays')
      await files.deleteByRoom(newId())
    })
  })
}

contract('disk', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'roomchat-files-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  const count = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce(
      (n, e) => n + (e.isDirectory() ? count(join(dir, e.name)) : 1),
      0,
    )
  return { files: diskFiles(root), leftovers: async () => count(root) }
})

contract('GridFS', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl)) return null
  const client = await MongoClient.connect(isolatedMongoUrl(mongoUrl))
  const db = client.db()
  t.teardown(async () => {
    await db.dropDatabase().catch(() => {})
    await client.close()
  })
  const leftovers = async () =>
    (await db.collection('fs.files').countDocuments()) + (await db.collection('fs.chunks').countDocuments())
  return { files: await gridfsFiles(db), leftovers }
})
