// The embedded Files adapter: DATA_DIR/files/<roomId>/<id>, one directory per room so that
// deleting a room's files is one directory removal. A file is written to a hidden temporary
// name in the same directory, flushed to disk, and linked to its id only when complete: a
// reader never sees half a file, and a failed write removes its temporary file.
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { link, mkdir, open, readdir, rm, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { DIR_MODE, FILE_MODE } from '../data-dir.ts'
import { isId } from '../ids.ts'
import type { ByteRange, FileLocation, Files } from './files.ts'

const TEMP = /^\..*\.part$/
/** Temporary files older than this at start-up were left by a crash. */
const STALE_MS = 3600_000

function checked(id: string): string {
  if (!isId(id)) throw new Error(`not a file or room id: ${JSON.stringify(id).slice(0, 40)}`)
  return id
}

export function diskFiles(root: string): Files {
  const files = new DiskFiles(root)
  // Best effort, in the background: a crash mid-upload can leave a temporary file behind.
  void sweepStale(root).catch(() => {})
  return files
}

class DiskFiles implements Files {
  readonly kind = 'disk'

  constructor(private readonly root: string) {}

  async write(at: FileLocation, source: Readable): Promise<number> {
    const final = this.pathOf(at)
    const dir = this.roomDir(at.roomId)
    await mkdir(dir, { recursive: true, mode: DIR_MODE })
    const temp = join(dir, `.${at.id}.${randomBytes(6).toString('hex')}.part`)
    // Flushed to disk before it is closed, and so before it is linked to its id.
    const out = createWriteStream(temp, { flags: 'wx', flush: true, mode: FILE_MODE })
    try {
      // The file exists before any byte flows, so the cleanup below always has it to remove.
      await once(out, 'open')
      await pipeline(source, out)
      // A link, not a rename: a rename would silently replace a file already under this id.
      await link(temp, final)
      await unlink(temp).catch(() => {})
      return out.bytesWritten
    } catch (err) {
      source.destroy()
      out.destroy()
      // Removed once closed: a write still in flight cannot bring it back.
      if (!out.closed) await once(out, 'close').catch(() => {})
      await rm(temp, { force: true })
      throw err
    }
  }

  async read(at: FileLocation, range?: ByteRange): Promise<Readable | null> {
    const handle = await open(this.pathOf(at), 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null
      throw err
    })
    if (!handle) return null
    return handle.createReadStream(range ? { start: range.start, end: range.end } : {}) as Readable
  }

  async delete(at: FileLocation): Promise<void> {
    await rm(this.pathOf(at), { force: true })
  }

  async deleteByRoom(roomId: string): Promise<void> {
    await rm(this.roomDir(roomId), { recursive: true, force: true })
  }

  private roomDir(roomId: string): string {
    return join(this.root, checked(roomId))
  }

  private pathOf(at: FileLocation): string {
    return join(this.roomDir(at.roomId), checked(at.id))
  }
}

async function sweepStale(root: string): Promise<void> {
  const rooms = await readdir(root).catch(() => [] as string[])
  for (const room of rooms.filter(isId)) {
    const dir = join(root, room)
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!TEMP.test(name)) continue
      const path = join(dir, name)
      const info = await stat(path).catch(() => null)
      if (info && Date.now() - info.mtimeMs > STALE_MS) await rm(path, { force: true })
    }
  }
}
