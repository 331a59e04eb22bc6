// Uploaded avatars: the picture is made into a square (picture.ts), stored in the Files port
// under a new id grouped under the user's own id (not a room's), and its id recorded on the user.
// The file it replaces is removed once the record no longer names it. Framework-free: the route
// hands over a way to open the incoming picture, never the request.
import { Readable } from 'node:stream'
import { enforceLimit } from '../enforce-limit.ts'
import { invalid, notFound } from '../errors.ts'
import type { Files } from '../files/files.ts'
import { newId } from '../ids.ts'
import type { Limiter } from '../limits/limits.ts'
import type { Logger } from '../logger.ts'
import type { Store } from '../store/store.ts'
import { tooLarge } from '../transfers/service.ts'
import { AVATAR_TYPE, toAvatar } from './picture.ts'

export interface AvatarFile {
  /** The file id: the version in the avatar's URL. */
  id: string
  contentType: string
  stream: Readable
}

/** Reads the whole picture (decoding needs all of it), failing with 413 past `max` bytes. */
async function collect(stream: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > max) {
      stream.destroy()
      throw tooLarge(max)
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

export class AvatarService {
  constructor(
    private readonly store: Store,
    private readonly files: Files,
    private readonly perUser: Limiter,
    private readonly maxBytes: number,
    private readonly log: Logger,
  ) {}

  /**
   * Replaces the user's avatar with the picture `open` gives. The rate limit (shared with room
   * uploads) is checked before a byte is read; nothing is stored for a refused picture.
   */
  async set(userId: string, open: () => Promise<Readable | null>): Promise<void> {
    await enforceLimit(this.perUser, userId)
    const stream = await open()
    if (!stream) throw invalid('Send one picture, in a multipart field named "file"')
    const picture = await toAvatar(await collect(stream, this.maxBytes))
    const at = { id: newId(), roomId: userId }
    await this.files.write(at, Readable.from([picture]))
    const swapped = await this.store.users.swapAvatar(userId, at.id).catch(async (err: unknown) => {
      await this.drop(userId, at.id)
      throw err
    })
    if (!swapped) {
      await this.drop(userId, at.id)
      throw notFound('User')
    }
    if (swapped.previous) await this.drop(userId, swapped.previous)
  }

  /** Back to initials; the picture's file is removed. Idempotent. */
  async remove(userId: string): Promise<void> {
    const swapped = await this.store.users.swapAvatar(userId, null)
    if (!swapped) throw notFound('User')
    if (swapped.previous) await this.drop(userId, swapped.previous)
  }

  /** The user's current picture, or 404 when there is none (or no such user). */
  async read(userId: string): Promise<AvatarFile> {
    const user = await this.store.users.get(userId)
    const id = user?.avatar
    if (!id) throw notFound('Avatar')
    const stream = await this.files.read({ id, roomId: userId })
    if (!stream) throw notFound('Avatar')
    return { id, contentType: AVATAR_TYPE, stream }
  }

  private async drop(userId: string, fileId: string): Promise<void> {
    await this.files
      .delete({ id: fileId, roomId: userId })
      .catch((err) => this.log.warn({ err }, 'avatar file left behind'))
  }
}
