// Sending and reading messages. The HTTP route and the socket `send` share `send`: membership,
// limits, the store's seq, then the publish; the caller acks only after the message is stored.
// In the steady state a message costs one store round trip: membership and the sender come from
// ChatState, and appends queued for a room are stored as one batch (AppendQueue).
import { AppError } from '../errors.ts'
import { newId } from '../ids.ts'
import type { Limiter } from '../limits/limits.ts'
import type { Logger } from '../logger.ts'
import type { Hub } from '../realtime/hub.ts'
import type { HistoryQuery, Message } from '../schemas/rooms.ts'
import type { FileRef, MessageRecord, NewMessage, UserSnapshot } from '../store/records.ts'
import type { Store } from '../store/store.ts'
import { AppendQueue } from './append-queue.ts'
import type { ChatState } from './chat-state.ts'
import type { RoomService } from './rooms.ts'
import { toMessageView } from './views.ts'

const TEXT_MAX = 4000

export interface Sent {
  message: MessageRecord
  duplicate: boolean
}

export class ChatService {
  /** Appends of one room on this instance, stored in batches, then published in seq order. */
  private readonly appends: AppendQueue

  constructor(
    private readonly store: Store,
    private readonly rooms: RoomService,
    private readonly state: ChatState,
    hub: Hub,
    private readonly perUser: Limiter,
    log: Logger,
  ) {
    this.appends = new AppendQueue(store.messages, (m) => hub.publish(m), log)
  }

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

  /**
   * 404 for no such room, 403 NOT_MEMBER when the user is not in it. From the state this
   * instance keeps (no store round trip in the steady state); a refusal is read from the store,
   * which also tells a missing room from a non-member. A socket's join goes through here too,
   * so its first send finds the membership and the sender known.
   */
  async requireMember(roomId: string, userId: string): Promise<void> {
    if (!(await this.state.isMember(roomId, userId))) await this.rooms.requireMember(roomId, userId)
  }

  /** Loads the sender's snapshot ahead of its first send (a socket joining a room). */
  async warm(userId: string): Promise<void> {
    await this.state.sender(userId)
  }

  /** Membership, the store's seq, then the publish: what every kind of message goes through. */
  private async post(
    userId: string,
    roomId: string,
    body: Pick<NewMessage, 'kind' | 'text' | 'file' | 'clientMsgId'>,
  ): Promise<Sent> {
    await this.requireMember(roomId, userId)
    const user = await this.state.sender(userId)
    if (!user || user.banned) throw new AppError(401, 'UNAUTHENTICATED', 'Authentication required')
    const from: UserSnapshot = { id: user.id, username: user.username, displayName: user.displayName }
    return this.appends.append({ id: newId(), roomId, from, ...body, createdAt: new Date() })
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
