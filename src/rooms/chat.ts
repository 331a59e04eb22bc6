// Sending and reading messages. The HTTP route and the socket `send` share `send`: membership,
// limits, the store's seq, then the publish; the caller acks only after the message is stored.
// In the steady state a message costs one store round trip: membership and the sender come from
// ChatState, and appends queued for a room are stored as one batch (AppendQueue).
import type { Announcer } from '../announcer.ts'
import { type AuditService, roomRef, userRef } from '../audit/audit.ts'
import { enforceLimit } from '../enforce-limit.ts'
import { AppError, notFound } from '../errors.ts'
import type { Files } from '../files/files.ts'
import { newId } from '../ids.ts'
import type { Limiter } from '../limits/limits.ts'
import type { Logger } from '../logger.ts'
import { LONE_SURROGATE } from '../lone-surrogate.ts'
import { decodeCursor, encodeCursor, type Page, toPage } from '../pagination.ts'
import { blockedError, eitherBlocks } from '../safety/blocks.ts'
import { mutedEverywhere, type SendFence } from '../safety/send-fence.ts'
import type { Change, HistoryPage, HistoryQuery, Message, UnreadItem } from '../schemas/rooms.ts'
import { MAX_PINS, type Pin } from '../schemas/search.ts'
import type { FileRef, MessageRecord, NewMessage, ReplyRef, UserSnapshot } from '../store/records.ts'
import type { Store } from '../store/store.ts'
import { toMessageView } from '../views/rooms.ts'
import { AppendQueue } from './append-queue.ts'
import type { ChatState } from './chat-state.ts'
import { isOneEmoji } from './emoji.ts'
import { mentionedNames } from './mentions.ts'
import type { RoomService } from './rooms.ts'

const TEXT_MAX = 4000
/** Distinct emojis one message may carry. */
export const MAX_REACTIONS = 20
const REPLY_QUOTE = 200

const deletedError = () => new AppError(409, 'DELETED', 'The message was deleted')

/**
 * Refusals a repeat of a stored send can meet when its first send did not (a mute or the rate
 * limit came since, the message replied to was deleted since): the first ack wins over them.
 */
const LATER_REFUSALS: ReadonlySet<string> = new Set(['RATE_LIMITED', 'MUTED', 'DELETED', 'BLOCKED'])

/** What an update in the stream records: a change to a message, or a pin (src/realtime/server-frames.ts). */
type StoredChange = Omit<Change, 'by'> | { kind: 'pin' | 'unpin' }

export interface Sent {
  message: MessageRecord
  duplicate: boolean
}

export class ChatService {
  /** Appends of one room on this instance, stored in batches, then published in seq order. */
  private readonly appends: AppendQueue
  /** The changed message's state of updates whose caller knows it already (by update id): no read. */
  private readonly knownCurrent = new Map<string, MessageRecord>()

  constructor(
    private readonly store: Store,
    private readonly rooms: RoomService,
    private readonly state: ChatState,
    private readonly announce: Announcer,
    private readonly perUser: Limiter,
    private readonly log: Logger,
    /** The bytes of files, removed with their deleted message. */
    private readonly files: Pick<Files, 'delete'>,
    /** Deletions of others' messages are logged. */
    private readonly audit: AuditService,
    /** What a freeze holds on this instance: checked as each append is queued. */
    private readonly fence: Pick<SendFence, 'refusal' | 'track'> | null = null,
  ) {
    // An update's frame carries the changed message as it is once the update is stored: read
    // after the append, before the publish, for the batch at once (publishes keep seq order).
    this.appends = new AppendQueue(
      store.messages,
      (m) => announce.messageStored(m),
      log,
      async (stored) => {
        await Promise.all(
          stored.map(async (m) => {
            const known = this.knownCurrent.get(m.id)
            if (known) {
              this.knownCurrent.delete(m.id)
              m.current = known
            } else if (m.kind === 'update' && m.target != null)
              m.current = await store.messages.get(m.roomId, m.target)
          }),
        )
      },
    )
  }

  /**
   * A repeated clientMsgId gets the first ack and costs no rate-limit event, whatever came since:
   * the store finds the repeat as it appends (and the event counted is given back), and a repeat
   * refused before it got there (muted, rate limited) is looked up then. A new message costs no
   * lookup of its own.
   */
  async send(
    userId: string,
    roomId: string,
    text: string,
    clientMsgId: string,
    replyTo?: number,
  ): Promise<Sent> {
    checkText(text)
    let sent: Sent
    try {
      await enforceLimit(this.perUser, userId)
      // A reply and mentions cost a read each, only when there is one (a plain send stays one round trip).
      const [reply, mentions] = await Promise.all([
        replyTo === undefined ? null : this.replyRef(userId, roomId, replyTo),
        this.mentionsIn(roomId, text),
      ])
      sent = await this.post(userId, roomId, {
        kind: 'text',
        text,
        file: null,
        clientMsgId,
        replyTo: reply,
        mentions,
      })
    } catch (err) {
      const first =
        err instanceof AppError && LATER_REFUSALS.has(err.code)
          ? await this.store.messages.sent(roomId, userId, clientMsgId)
          : null
      if (!first) throw err
      sent = { message: first, duplicate: true }
    }
    if (sent.duplicate)
      await this.perUser.refund(userId).catch((err) => this.log.warn({ err }, 'rate-limit refund failed'))
    return sent
  }

  /** Replaces the text of one's own message; the room gets an `update`. */
  async edit(userId: string, roomId: string, seq: number, text: string): Promise<Message> {
    checkText(text)
    await enforceLimit(this.perUser, userId)
    const m = await this.message(userId, roomId, seq)
    if (m.from?.id !== userId) throw new AppError(403, 'FORBIDDEN', 'Only its author may edit a message')
    await this.requireUnmuted(roomId, userId)
    await this.requireUnblocked(roomId, userId)
    if (m.deleted) throw deletedError()
    if (m.kind !== 'text') throw new AppError(400, 'VALIDATION', 'Only text messages can be edited')
    const result = await this.store.messages.edit(
      roomId,
      seq,
      text,
      await this.mentionsIn(roomId, text),
      new Date(),
    )
    if (result === 'missing') throw notFound('Message')
    if (result === 'overridden') {
      // The deletion's own update may have been overwritten by ours before we wiped again, and
      // its frame may show our text: the room hears the final state once more, after it.
      await this.change(userId, roomId, seq, { kind: 'delete' })
      throw deletedError()
    }
    if (result === 'deleted') throw deletedError()
    return this.viewOf(await this.change(userId, roomId, seq, { kind: 'edit' }), userId)
  }

  /** Deletes a message (its author, the room's creator or an admin): text and file are gone. Idempotent. */
  async delete(userId: string, roomId: string, seq: number): Promise<void> {
    // An admin moderates every room, member or not; anyone else must be a member.
    const admin = (await this.store.users.get(userId))?.role === 'admin'
    if (!admin) await this.requireMember(roomId, userId)
    const m = await this.store.messages.get(roomId, seq)
    if (!m) {
      if (admin) await this.rooms.get(roomId) // 404 for a room that is not there
      throw notFound('Message')
    }
    const byOther = m.from !== null && m.from.id !== userId
    let roomName = ''
    if (m.from?.id !== userId) {
      const room = await this.rooms.get(roomId)
      roomName = room.name
      // A direct room's "creator" only opened it first: no moderator there but an admin.
      const moderator = room.kind !== 'dm' && room.creator.id === userId
      if (!moderator && !admin)
        throw new AppError(
          403,
          'FORBIDDEN',
          "Only its author, the room's creator or an admin may delete a message",
        )
    }
    if (m.deleted) return
    const removed = await this.store.messages.remove(roomId, seq)
    if (!removed) return
    if (removed.file) {
      await this.store.files.delete(removed.file.id)
      await this.files.delete({ id: removed.file.id, roomId })
    }
    await this.change(userId, roomId, seq, { kind: 'delete' })
    // After the deletion, once (only the caller whose `remove` took it gets here).
    if (byOther && m.from)
      await this.audit.record(userId, 'message.delete', userRef(m.from), {
        room: roomRef({ id: roomId, name: roomName }),
        seq,
      })
  }

  /**
   * Deletes these messages of one room as `delete` does each (no checks: the caller decided),
   * in a few round trips: one removal for all, their files, then one deletion `update` each,
   * appended as a batch. Returns how many this call deleted.
   */
  async removeBatch(actorId: string, roomId: string, seqs: number[]): Promise<number> {
    const removed = await this.store.messages.removeMany(roomId, seqs)
    for (const m of removed) {
      if (!m.file) continue
      await this.store.files.delete(m.file.id)
      await this.files.delete({ id: m.file.id, roomId })
    }
    const from = await this.snapshotOf(actorId)
    await Promise.all(
      removed.map((m) => {
        const id = newId()
        // What `get` reads once a message is wiped: its frame needs no read of its own.
        this.knownCurrent.set(id, {
          ...m,
          text: '',
          file: null,
          mentions: [],
          replyTo: null,
          deleted: true,
          reactions: [],
        })
        return this.appends
          .append(this.update(id, roomId, from, m.seq, { kind: 'delete' }))
          .finally(() => this.knownCurrent.delete(id))
      }),
    )
    return removed.length
  }

  /** Puts the user's emoji on a message (idempotent); the room gets an `update` when it changed. */
  async react(userId: string, roomId: string, seq: number, emoji: string): Promise<void> {
    if (!isOneEmoji(emoji)) throw new AppError(400, 'VALIDATION', 'emoji must be one emoji')
    await enforceLimit(this.perUser, userId)
    const m = await this.message(userId, roomId, seq)
    await this.requireUnmuted(roomId, userId)
    await this.requireUnblocked(roomId, userId)
    if (m.deleted) throw deletedError()
    const result = await this.store.messages.react(m.id, emoji, userId, MAX_REACTIONS, new Date())
    if (result === 'full')
      throw new AppError(
        409,
        'TOO_MANY_REACTIONS',
        `A message carries at most ${MAX_REACTIONS} different emojis`,
      )
    if (result === 'added') await this.change(userId, roomId, seq, { kind: 'react', emoji })
  }

  /** Takes the user's emoji off a message (idempotent). */
  async unreact(userId: string, roomId: string, seq: number, emoji: string): Promise<void> {
    if (!isOneEmoji(emoji)) throw new AppError(400, 'VALIDATION', 'emoji must be one emoji')
    const m = await this.message(userId, roomId, seq)
    if (await this.store.messages.unreact(m.id, emoji, userId))
      await this.change(userId, roomId, seq, { kind: 'unreact', emoji })
  }

  /** Moves the member's read marker (never back); the user's sockets on every instance hear it. */
  async markRead(userId: string, roomId: string, seq: number): Promise<void> {
    await this.requireMember(roomId, userId)
    const last = await this.store.messages.lastSeq(roomId)
    const to = Math.min(seq, last)
    if (await this.store.messages.markRead(roomId, userId, to))
      await this.announce.readMoved(userId, roomId, to)
  }

  /**
   * Every room of the user with unread messages or mentions. The user's rooms as this instance
   * keeps them name the candidates, which spares the store a round trip (it still checks each
   * membership itself).
   */
  async unread(userId: string): Promise<{ items: UnreadItem[] }> {
    const own = await this.state.own(userId)
    if (!own || own.rooms.length === 0) return { items: [] }
    return { items: await this.store.messages.unread(userId, [...own.rooms]) }
  }

  /**
   * Pins a message (the room's creator or an admin; an admin need not be a member). A new pin is
   * an event in the room's stream: it takes the next seq, every instance hears it, a resume
   * replays it. Pinning a pinned message changes nothing and adds no event.
   */
  async pin(userId: string, roomId: string, seq: number): Promise<void> {
    const { by, roomName } = await this.requirePinner(userId, roomId)
    const m = await this.store.messages.get(roomId, seq)
    if (!m) throw notFound('Message')
    if (m.deleted) throw deletedError()
    const result = await this.store.pins.pin({ roomId, seq, pinnedBy: by, pinnedAt: new Date() }, MAX_PINS)
    if (result === 'full')
      throw new AppError(409, 'TOO_MANY_PINS', `A room has at most ${MAX_PINS} pinned messages`)
    if (result === 'pinned') {
      await this.change(userId, roomId, seq, { kind: 'pin' })
      await this.audit.record(userId, 'message.pin', m.from ? userRef(m.from) : null, {
        room: roomRef({ id: roomId, name: roomName }),
        seq,
      })
    }
  }

  /** Unpins a message (the same people as pinning); idempotent, an event only when it was pinned. */
  async unpin(userId: string, roomId: string, seq: number): Promise<void> {
    const { roomName } = await this.requirePinner(userId, roomId)
    if (await this.store.pins.unpin(roomId, seq)) {
      await this.change(userId, roomId, seq, { kind: 'unpin' })
      const m = await this.store.messages.get(roomId, seq)
      await this.audit.record(userId, 'message.unpin', m?.from ? userRef(m.from) : null, {
        room: roomRef({ id: roomId, name: roomName }),
        seq,
      })
    }
  }

  /** The room's pinned messages, latest pin first (members only); a deleted message drops out. */
  async pins(userId: string, roomId: string): Promise<{ items: Pin[] }> {
    await this.rooms.requireMember(roomId, userId)
    const pins = await this.store.pins.list(roomId)
    const messages = await Promise.all(pins.map((p) => this.store.messages.get(roomId, p.seq)))
    return {
      items: pins.flatMap((p, i) => {
        const m = messages[i]
        return m && !m.deleted
          ? [{ message: toMessageView(m, userId), pinnedBy: p.pinnedBy, pinnedAt: p.pinnedAt.toISOString() }]
          : []
      }),
    }
  }

  /** Who may pin: the room's creator (a member) or an admin; direct rooms have no creator but an admin. */
  private async requirePinner(
    userId: string,
    roomId: string,
  ): Promise<{ by: UserSnapshot; roomName: string }> {
    const user = await this.store.users.get(userId)
    if (!user || user.banned) throw new AppError(401, 'UNAUTHENTICATED', 'Authentication required')
    const admin = user.role === 'admin'
    if (!admin) await this.requireMember(roomId, userId)
    const room = await this.rooms.get(roomId)
    if (!admin && (room.kind === 'dm' || room.creator.id !== userId))
      throw new AppError(403, 'FORBIDDEN', "Only the room's creator or an admin may pin messages")
    return {
      by: { id: user.id, username: user.username, displayName: user.displayName },
      roomName: room.name,
    }
  }

  /** A member's message of the room, or 404. */
  private async message(userId: string, roomId: string, seq: number): Promise<MessageRecord> {
    await this.requireMember(roomId, userId)
    const m = await this.store.messages.get(roomId, seq)
    if (!m) throw notFound('Message')
    return m
  }

  /** Stores a change as the room's next event (an `update`) and publishes it; returns it, `current` filled. */
  private async change(
    userId: string,
    roomId: string,
    seq: number,
    change: StoredChange,
  ): Promise<MessageRecord> {
    const from = await this.snapshotOf(userId)
    const { message } = await this.appends.append(this.update(newId(), roomId, from, seq, change))
    return message
  }

  private async snapshotOf(userId: string): Promise<UserSnapshot | null> {
    const user = await this.state.sender(userId)
    return user
      ? {
          id: user.id,
          username: user.username,
          displayName: user.displayName,
          avatar: user.avatar ?? null,
          ...(user.bot ? { bot: true } : {}),
        }
      : null
  }

  private update(
    id: string,
    roomId: string,
    from: UserSnapshot | null,
    seq: number,
    change: StoredChange,
  ): NewMessage {
    return {
      id,
      roomId,
      kind: 'update',
      from,
      text: JSON.stringify(change),
      file: null,
      clientMsgId: null,
      createdAt: new Date(),
      target: seq,
    }
  }

  private async viewOf(update: MessageRecord, viewer: string): Promise<Message> {
    const current = update.current ?? (await this.store.messages.get(update.roomId, update.target!))
    if (!current) throw notFound('Message')
    return toMessageView(current, viewer)
  }

  private async replyRef(userId: string, roomId: string, seq: number): Promise<ReplyRef> {
    await this.requireMember(roomId, userId)
    const target = await this.store.messages.get(roomId, seq)
    if (!target) throw new AppError(400, 'VALIDATION', 'replyTo must be the seq of a message of this room')
    if (target.deleted) throw deletedError()
    return { seq, from: target.from, text: [...target.text].slice(0, REPLY_QUOTE).join('') }
  }

  /**
   * The ids of the members of the room that `@username` names in the text, as they are when the
   * text is written (unknown names and people not in the room are plain text). Only members: a
   * mention written before someone joined must not count among their unread mentions once they
   * join, and the stored list is what every count reads. A member's membership is the answer
   * kept by `ChatState` (no read); anyone else's costs one read.
   */
  private async mentionsIn(roomId: string, text: string): Promise<string[]> {
    const names = mentionedNames(text)
    if (names.length === 0) return []
    const ids = await Promise.all(
      names.map(async (n) => {
        const u = await this.store.users.getByUsername(n)
        return u && !u.banned && (await this.state.isMember(roomId, u.id)) ? [u.id] : []
      }),
    )
    return [...new Set(ids.flat())]
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

  /**
   * 403 MUTED while a moderator's mute runs, or a freeze's mute of the account (every room): no
   * message, edit or reaction of the member's.
   */
  private async requireUnmuted(roomId: string, userId: string): Promise<void> {
    const [inRoom, sender] = await Promise.all([
      this.state.mutedUntil(roomId, userId),
      this.state.sender(userId),
    ])
    const now = Date.now()
    if ((sender?.mutedUntil ?? 0) > now) throw mutedEverywhere()
    if (inRoom > now) throw new AppError(403, 'MUTED', 'You are muted in this room')
    const fenced = this.fence?.refusal(userId)
    if (fenced) throw fenced
  }

  /**
   * 403 BLOCKED in a direct room of a pair where either blocks the other (both ways: see
   * src/safety/blocks.ts). From the state this instance keeps: no round trip in the steady state.
   */
  private async requireUnblocked(roomId: string, userId: string): Promise<void> {
    const pair = await this.state.dmPair(roomId)
    if (!pair) return
    const peer = pair[0] === userId ? pair[1] : pair[0]
    if (await eitherBlocks((id) => this.state.blocks(id), userId, peer)) throw blockedError()
  }

  /** Loads what a send checks (the sender's snapshot, its mute, a direct room's blocks) as a socket joins the room. */
  async warm(userId: string, roomId: string): Promise<void> {
    await Promise.all([
      this.state.sender(userId),
      this.state.mutedUntil(roomId, userId),
      this.requireUnblocked(roomId, userId).catch(() => {}),
    ])
  }

  /** Membership, the store's seq, then the publish: what every kind of message goes through. */
  private async post(
    userId: string,
    roomId: string,
    body: Pick<NewMessage, 'kind' | 'text' | 'file' | 'clientMsgId' | 'replyTo' | 'mentions'>,
  ): Promise<Sent> {
    await this.requireMember(roomId, userId)
    await this.requireUnmuted(roomId, userId)
    await this.requireUnblocked(roomId, userId)
    const user = await this.state.sender(userId)
    if (!user || user.banned) throw new AppError(401, 'UNAUTHENTICATED', 'Authentication required')
    const from: UserSnapshot = {
      id: user.id,
      username: user.username,
      displayName: user.displayName,
      avatar: user.avatar ?? null,
      ...(user.bot ? { bot: true } : {}),
    }
    // In the same turn as the append is queued: a freeze's fence either refuses it here or waits for it.
    if (!this.fence) return this.appends.append({ id: newId(), roomId, from, ...body, createdAt: new Date() })
    const fenced = this.fence.refusal(userId)
    if (fenced) throw fenced
    return this.fence.track(
      userId,
      this.appends.append({ id: newId(), roomId, from, ...body, createdAt: new Date() }),
    )
  }

  /**
   * An incoming webhook's message (src/bots/webhooks.ts checked the hook): the same append as a
   * member's, so it is delivered live, replayed, indexed and notified. Its sender is a stand-in
   * snapshot (`hook`): the webhook's id, the name to show, `bot: true`. Mentions name members.
   */
  async postHook(
    roomId: string,
    hook: { id: string; name: string },
    text: string,
    shownAs: string,
  ): Promise<Sent> {
    checkText(text)
    const from: UserSnapshot = {
      id: hook.id,
      username: 'webhook',
      displayName: shownAs,
      avatar: null,
      bot: true,
      hook: hook.name,
    }
    return this.appends.append({
      id: newId(),
      roomId,
      kind: 'text',
      from,
      text,
      file: null,
      clientMsgId: null,
      mentions: await this.mentionsIn(roomId, text),
      createdAt: new Date(),
    })
  }

  async history(userId: string, roomId: string, q: HistoryQuery): Promise<Page<Message> | HistoryPage> {
    await this.rooms.requireMember(roomId, userId)
    const limit = q.limit ?? 50
    const given = [q.after, q.before, q.around, q.cursor].filter((x) => x !== undefined).length
    if (given > 1) throw new AppError(400, 'VALIDATION', 'Give one of before, after, around and cursor')
    if (q.around !== undefined) return this.around(userId, roomId, q.around, limit)
    if (q.cursor !== undefined) {
      // An empty cursor decodes to null (no cursor), which a page step cannot start from.
      const key = decodeCursor<['a' | 'b', number]>(q.cursor, ['string', 'number'])
      if (!key) throw new AppError(400, 'VALIDATION', 'Malformed cursor')
      const [dir, seq] = key
      if ((dir !== 'a' && dir !== 'b') || !Number.isSafeInteger(seq) || seq < 0)
        throw new AppError(400, 'VALIDATION', 'Malformed cursor')
      return this.step(userId, roomId, dir, seq, limit)
    }
    // Without `after`, pages go back in time from `before` (by default from the newest message);
    // either way the rows come oldest first, and the cursor is the seq to pass on.
    const backwards = q.after === undefined
    const rows = await this.store.messages.history(
      roomId,
      backwards
        ? { before: q.before ?? Number.MAX_SAFE_INTEGER, limit: limit + 1 }
        : { after: q.after, limit: limit + 1 },
    )
    return toPage(
      rows,
      limit,
      (m) => [m.seq],
      (m) => toMessageView(m, userId),
      { extraFirst: backwards, encode: ([seq]) => String(seq) },
    )
  }

  /** The page centred on `seq`: up to half the page at or before it, the rest after it. */
  private async around(userId: string, roomId: string, seq: number, limit: number): Promise<HistoryPage> {
    const half = Math.ceil(limit / 2)
    const older = await this.store.messages.history(roomId, { before: seq + 1, limit: half + 1 })
    const moreOlder = older.length > half
    if (moreOlder) older.shift()
    const want = limit - older.length
    const newer = await this.store.messages.history(roomId, { after: seq, limit: want + 1 })
    const moreNewer = newer.length > want
    if (moreNewer) newer.pop()
    const items = [...older, ...newer]
    return {
      items: items.map((m) => toMessageView(m, userId)),
      prevCursor: moreOlder ? cursorOf('b', items[0]?.seq) : null,
      nextCursor: moreNewer ? cursorOf('a', items[items.length - 1]?.seq) : null,
    }
  }

  /** The page after (`a`) or before (`b`) a seq, from an `around` page's cursors. */
  private async step(
    userId: string,
    roomId: string,
    dir: 'a' | 'b',
    seq: number,
    limit: number,
  ): Promise<HistoryPage> {
    const rows = await this.store.messages.history(
      roomId,
      dir === 'a' ? { after: seq, limit: limit + 1 } : { before: seq, limit: limit + 1 },
    )
    const more = rows.length > limit
    if (more) dir === 'a' ? rows.pop() : rows.shift()
    const first = rows[0]?.seq
    const last = rows[rows.length - 1]?.seq
    return {
      items: rows.map((m) => toMessageView(m, userId)),
      prevCursor: dir === 'b' && !more ? null : cursorOf('b', first ?? seq + 1),
      nextCursor: dir === 'a' && !more ? null : cursorOf('a', last ?? seq - 1),
    }
  }
}

/** The cursors of an `around` page: which way, and from which seq (exclusive). */
const cursorOf = (dir: 'a' | 'b', seq: number | undefined): string | null =>
  seq === undefined ? null : encodeCursor([dir, seq])

function checkText(text: string): void {
  if ([...text].length > TEXT_MAX || text.trim() === '') {
    throw new AppError(400, 'VALIDATION', 'text must be 1..4000 characters and not only spaces')
  }
  // U+0000 is never text a person typed, and MongoDB-wire servers over PostgreSQL (FerretDB)
  // cannot store it: refused alike on every backend.
  if (text.includes('\u0000')) throw new AppError(400, 'VALIDATION', 'text must not contain U+0000')
  // Stored as UTF-8 a lone surrogate comes back as U+FFFD: live and history would differ.
  if (LONE_SURROGATE.test(text))
    throw new AppError(400, 'VALIDATION', 'text is not valid Unicode (a lone surrogate)')
}
