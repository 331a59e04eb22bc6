// Sending and reading messages. The HTTP route and the socket `send` share `send`: membership,
// limits, the store's seq, then the publish; the caller acks only after the message is stored.
import { AppError } from '../errors.ts'
import { newId } from '../ids.ts'
import type { Limiter } from '../limits/limits.ts'
import type { Logger } from '../logger.ts'
import type { Hub } from '../realtime/hub.ts'
import type { HistoryQuery, Message } from '../schemas/rooms.ts'
import type { FileRef, MessageRecord, NewMessage, UserSnapshot } from '../store/records.ts'
import type { Store } from '../store/store.ts'
import type { RoomService } from './rooms.ts'
import { toMessageView } from './views.ts'

const TEXT_MAX = 4000

export interface Sent {
  message: MessageRecord
  duplicate: boolean
}

export class ChatService {
  /** The last seq this instance stored per room: where the next append starts looking. */
  private readonly lastSeq = new Map<string, number>()
  /** The tail of each room's queue of appends on this instance. */
  private readonly turns = new Map<string, Promise<void>>()

  constructor(
    private readonly store: Store,
    private readonly rooms: RoomService,
    private readonly hub: Hub,
    private readonly perUser: Limiter,
    private readonly log: Logger,
  ) {}

  async send(userId: string, roomId: string, text: string, clientMsgId: string): Promise<Sent> {
    if ([...text].length > TEXT_MAX || text.trim() === '') {
      throw new AppError(400, 'VALIDATION', 'text must be 1..4000 characters and not only spaces')
    }
    // U+0000 is never text a person typed, and MongoDB-wire servers over PostgreSQL (FerretDB)
    // cannot store it: refused alike on every backend.
    if (text.includes('\u0000')) throw new AppError(400, 'VALIDATION', 'text must not contain U+0000')
    await this.perUser.consume(userId)
    return this.post(userId, roomId, { kind: 'text', text, file: null, clientMsgId })
  }

  /**
   * Posts the `file` message of a stored file (FileService, after the upload): the same path
   * as text, so it gets the next seq and the same fan-out and resume. Its text is the name.
   */
  async postFile(userId: string, roomId: string, file: FileRef): Promise<Sent> {
    return this.post(userId, roomId, { kind: 'file', text: file.name, file, clientMsgId: null })
  }

  /** Membership, the store's seq, then the publish: what every kind of message goes through. */
  private async post(
    userId: string,
    roomId: string,
    body: Pick<NewMessage, 'kind' | 'text' | 'file' | 'clientMsgId'>,
  ): Promise<Sent> {
    await this.rooms.requireMember(roomId, userId)
    const user = await this.store.users.get(userId)
    if (!user) throw new AppError(401, 'UNAUTHENTICATED', 'Authentication required')
    const from: UserSnapshot = { id: user.id, username: user.username, displayName: user.displayName }
    // One append at a time per room on this instance: each starts from the exact last seq, so
    // only appends from other instances can collide, and publishes leave in seq order.
    return this.inTurn(roomId, async () => {
      const result = await this.store.messages.append(
        { id: newId(), roomId, from, ...body, createdAt: new Date() },
        this.lastSeq.get(roomId),
      )
      const seq = result.message.seq
      if (seq > (this.lastSeq.get(roomId) ?? 0)) this.lastSeq.set(roomId, seq)
      if (!result.duplicate) {
        // Stored is what counts: if this publish is lost, receivers fill the gap from the store.
        await this.hub.publish(result.message).catch((err) => this.log.warn({ err }, 'publish failed'))
      }
      return result
    })
  }

  private inTurn<T>(roomId: string, fn: () => Promise<T>): Promise<T> {
    const turn = (this.turns.get(roomId) ?? Promise.resolve()).then(fn)
    const settled = turn.then(
      () => {},
      () => {},
    )
    this.turns.set(roomId, settled)
    void settled.then(() => this.turns.get(roomId) === settled && this.turns.delete(roomId))
    return turn
  }

  async history(
    userId: string,
    roomId: string,
    q: HistoryQuery,
  ): Promise<{ items: Message[]; nextCursor: string | null }> {
    await this.rooms.requireMember(roomId, userId)
    const limit = q.limit ?? 50
    if (q.after !== undefined && q.before !== undefined)
      throw new AppError(400, 'VALIDATION', 'Give before or after, not both')
    // Without `after`, pages go back in time from `before` (by default from the newest message).
    const backwards = q.after === undefined
    const rows = await this.store.messages.range(
      roomId,
      backwards
        ? { before: q.before ?? Number.MAX_SAFE_INTEGER, limit: limit + 1 }
        : { after: q.after, limit: limit + 1 },
    )
    const more = rows.length > limit
    const items = backwards ? (more ? rows.slice(1) : rows) : rows.slice(0, limit)
    const edge = backwards ? items[0]?.seq : items[items.length - 1]?.seq
    return { items: items.map(toMessageView), nextCursor: more && edge !== undefined ? String(edge) : null }
  }
}
