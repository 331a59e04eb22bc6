// File transfer in rooms: uploads become `file` messages, downloads are for members only.
// Framework-free: the route hands over a way to open the incoming file, never the request.
// Apart from src/files, the byte store it writes through: that port knows no rooms, this
// service joins it to them (memberships, file messages).
import type { Readable } from 'node:stream'
import { pipeline, Transform, type TransformCallback } from 'node:stream'
import { enforceLimit } from '../enforce-limit.ts'
import { AppError, invalid, notFound } from '../errors.ts'
import type { ByteRange, Files } from '../files/files.ts'
import { newId } from '../ids.ts'
import type { Limiter } from '../limits/limits.ts'
import type { Logger } from '../logger.ts'
import type { ChatService } from '../rooms/chat.ts'
import type { RoomService } from '../rooms/rooms.ts'
import type { FileRecord, FileRef, MessageRecord } from '../store/records.ts'
import type { Store } from '../store/store.ts'
import { normalizeContentType, sanitizeName } from './policy.ts'

/** A file as a client sends it: what it claims, and the bytes. */
export interface IncomingFile {
  name: string | undefined
  contentType: string | undefined
  stream: Readable
}

export interface Uploaded {
  file: FileRef
  message: MessageRecord
}

export const tooLarge = (max: number) =>
  new AppError(413, 'TOO_LARGE', `A file may have at most ${max} bytes (${formatBytes(max)})`)

const formatBytes = (n: number) =>
  n >= 1024 * 1024
    ? `${+(n / 1024 / 1024).toFixed(1)} MB`
    : n >= 1024
      ? `${+(n / 1024).toFixed(1)} KB`
      : `${n} B`

/** Passes bytes through until more than `max` have gone by, then fails with 413 TOO_LARGE. */
class ByteLimit extends Transform {
  private seen = 0
  constructor(private readonly max: number) {
    super()
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length
    if (this.seen > this.max) done(tooLarge(this.max))
    else done(null, chunk)
  }
}

export class FileService {
  constructor(
    private readonly store: Store,
    private readonly files: Files,
    private readonly rooms: RoomService,
    private readonly chat: ChatService,
    private readonly perUser: Limiter,
    private readonly maxBytes: number,
    private readonly log: Logger,
  ) {}

  /**
   * Stores a file in a room and posts its `file` message. Membership and the rate limit are
   * checked before `open` is called, so a refused upload is refused before its bytes are read.
   * The size limit holds while streaming; on any failure (too large, interrupted, the room
   * gone meanwhile) nothing of the file is left.
   */
  async upload(userId: string, roomId: string, open: () => Promise<IncomingFile | null>): Promise<Uploaded> {
    await this.rooms.requireMember(roomId, userId)
    await enforceLimit(this.perUser, userId)
    const incoming = await open()
    if (!incoming) throw invalid('Send one file, in a multipart field named "file"')
    // Already destroyed: the body ended inside the file or the client went away before we got
    // here. (Checked now because a pipeline from a stream destroyed with unread data waits
    // forever on Node 20.)
    if (incoming.stream.destroyed) throw invalid('The upload was interrupted or its body is malformed')
    const id = newId()
    const at = { id, roomId }
    const name = sanitizeName(incoming.name)
    const contentType = normalizeContentType(incoming.contentType)
    // Errors go both ways: the limit's stops the source, the source's fails the limit's output.
    const limited = pipeline(incoming.stream, new ByteLimit(this.maxBytes), () => {})
    const size = await this.files.write(at, limited)
    const record: FileRecord = {
      id,
      roomId,
      uploaderId: userId,
      name,
      size,
      contentType,
      createdAt: new Date(),
    }
    const file: FileRef = { id, name, size, contentType }
    try {
      await this.store.files.create(record)
      const { message } = await this.chat.postFile(userId, roomId, file)
      return { file, message }
    } catch (err) {
      await this.store.files.delete(id).catch((e) => this.log.warn({ err: e }, 'file record left behind'))
      await this.files.delete(at).catch((e) => this.log.warn({ err: e }, 'file left behind'))
      throw err
    }
  }

  /**
   * The file's record, for a member of its room: 404 when there is no such file, or its room is
   * one the user may not see (the same answer), 403 NOT_MEMBER.
   */
  async find(userId: string, fileId: string): Promise<FileRecord> {
    const file = await this.store.files.get(fileId)
    if (!file) throw notFound('File')
    await this.rooms.requireMember(file.roomId, userId).catch((err: unknown) => {
      throw err instanceof AppError && err.code === 'NOT_FOUND' ? notFound('File') : err
    })
    return file
  }

  /** The file's bytes (a range of them), streamed; `find` first. */
  async read(file: FileRecord, range?: ByteRange): Promise<Readable> {
    const stream = await this.files.read(file, range)
    if (!stream) throw notFound('File')
    return stream
  }
}
