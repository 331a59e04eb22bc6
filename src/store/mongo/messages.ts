import type { Db, Filter, IndexDescription, ObjectId } from 'mongodb'
import { groupReactions } from '../reactions.ts'
import type { MessageRecord, NewMessage, ReactionRecord } from '../records.ts'
import type { MessageStore, UnreadRecord } from '../store.ts'
import { hex, isDuplicateKey, oid, oidOrNull } from './ids.ts'

export interface MessageDoc extends Omit<MessageRecord, 'id' | 'roomId' | 'reactions' | 'current'> {
  _id: ObjectId
  roomId: ObjectId
  /**
   * `${roomId}:${senderId}:${clientMsgId}`, or the message id when there is no clientMsgId:
   * unique, so a retried send is stored once (no partial index needed).
   */
  dedupe: string
}

export const messageIndexes: IndexDescription[] = [
  { key: { roomId: 1, seq: 1 }, name: 'room_seq_unique', unique: true },
  { key: { dedupe: 1 }, name: 'dedupe_unique', unique: true },
]

/**
 * One user's emoji on one message. `_id` is `${messageId}:${emoji}:${userId}`: adding it is an
 * insert, so concurrent adds of the same emoji by one user (from any instance) store one.
 */
export interface ReactionDoc {
  _id: string
  messageId: string
  emoji: string
  userId: string
  at: Date
}
export const reactionIndexes: IndexDescription[] = [{ key: { messageId: 1, at: 1 }, name: 'message_at' }]

/**
 * A deletion: `_id` is the message's. Inserted before the text is wiped, so of racing deletions
 * one wins, and an edit that wrote after the wipe sees it and wipes again (an edit racing a
 * deletion ends deleted although updates are read-then-write on FerretDB).
 */
export interface DeletionDoc {
  _id: ObjectId
  at: Date
}

/**
 * A read marker: `_id` is `${roomId}:${userId}:${seq}`. Moving it is an insert and the lower
 * ones are deleted after; the marker is the highest left, so it never moves back even when
 * two tabs mark at once (a `$max` update would be read-then-write on FerretDB).
 */
export interface ReadDoc {
  _id: string
  roomId: string
  userId: string
  seq: number
}
export const readIndexes: IndexDescription[] = [
  { key: { userId: 1, roomId: 1, seq: -1 }, name: 'user_room_seq' },
]

/**
 * The first batch of the unread queries' cursors: their rows are small (a room id and a number
 * or two), and the default first batch of 101 would add a round trip (a getMore) per hundred rooms.
 */
const ONE_BATCH = 100_000

const toMessage = ({ _id, roomId, dedupe: _, ...rest }: MessageDoc): MessageRecord => ({
  id: hex(_id),
  roomId: hex(roomId),
  editedAt: null,
  deleted: false,
  replyTo: null,
  mentions: [],
  target: null,
  ...rest,
})

export function mongoMessages(db: Db): MessageStore {
  const messages = db.collection<MessageDoc>('messages')
  const reactions = db.collection<ReactionDoc>('reactions')
  const deletions = db.collection<DeletionDoc>('deletions')
  const reads = db.collection<ReadDoc>('reads')
  const members = db.collection<{ roomId: ObjectId; userId: ObjectId; ticket: number }>('members')

  /** Attaches reactions to messages, and to an update the message it changed: two round trips at most. */
  const complete = async (docs: MessageDoc[], room: ObjectId): Promise<MessageRecord[]> => {
    const list = docs.map(toMessage)
    const targetSeqs = [...new Set(list.flatMap((m) => (m.target != null ? [m.target] : [])))]
    const targets = new Map<number, MessageRecord>()
    if (targetSeqs.length > 0) {
      const found = await messages.find({ roomId: room, seq: { $in: targetSeqs } }).toArray()
      for (const d of found) targets.set(d.seq, toMessage(d))
    }
    const plain = [...list.filter((m) => m.target == null), ...targets.values()]
    const byId =
      plain.length > 0
        ? groupReactions(
            await reactions
              .find({ messageId: { $in: plain.map((m) => m.id) } })
              .sort({ at: 1, _id: 1 })
              .toArray(),
          )
        : new Map<string, ReactionRecord[]>()
    for (const m of plain) m.reactions = byId.get(m.id) ?? []
    for (const m of list) if (m.target != null) m.current = targets.get(m.target) ?? null
    return list
  }

  const pageOf = async (
    roomId: string,
    q: { after?: number; before?: number; limit: number },
    onlyMessages: boolean,
  ) => {
    const room = oidOrNull(roomId)
    if (!room) return []
    const kinds: Filter<MessageDoc> = onlyMessages ? { kind: { $ne: 'update' } } : {}
    if (q.before !== undefined) {
      const docs = await messages
        .find({ roomId: room, seq: { $lt: q.before }, ...kinds })
        .sort({ seq: -1 })
        .limit(q.limit)
        .toArray()
      return complete(docs.reverse(), room)
    }
    const docs = await messages
      .find({ roomId: room, seq: { $gt: q.after ?? 0 }, ...kinds })
      .sort({ seq: 1 })
      .limit(q.limit)
      .toArray()
    return complete(docs, room)
  }

  const base = async (roomId: string, seq: number) => {
    const room = oidOrNull(roomId)
    return room ? messages.findOne({ roomId: room, seq, kind: { $ne: 'update' } }) : null
  }
  const wipe = (_id: ObjectId) =>
    messages.updateOne(
      { _id },
      { $set: { text: '', mentions: [], file: null, replyTo: null, deleted: true } },
    )
  const readSeq = async (roomId: string, userId: string) =>
    (await reads.find({ userId, roomId }).sort({ seq: -1 }).limit(1).next())?.seq ?? 0

  const lastSeq = async (roomId: ObjectId) =>
    (
      await messages
        .find({ roomId }, { projection: { seq: 1 } })
        .sort({ seq: -1 })
        .limit(1)
        .next()
    )?.seq ?? 0

  const dedupeOf = ({ id, roomId, from, clientMsgId }: NewMessage) =>
    clientMsgId ? `${roomId}:${from?.id ?? ''}:${clientMsgId}` : id

  const append = async ({ id, roomId, current, ...m }: NewMessage, hint?: number) => {
    const room = oid(roomId)
    const dedupe = dedupeOf({ id, roomId, ...m })
    const first = async () => (m.clientMsgId ? await messages.findOne({ dedupe }) : null)
    // The seq is taken by inserting it: the unique (roomId, seq) index lets exactly one
    // writer have each number. Starting from the last known seq leaves no gap; a collision
    // means another instance was faster, and we move past what it stored. A repeated
    // clientMsgId collides on `dedupe` instead, and gets the message stored first.
    let seq = hint ?? (await lastSeq(room))
    for (;;) {
      seq++
      const doc: MessageDoc = { _id: oid(id), roomId: room, seq, dedupe, ...m }
      try {
        await messages.insertOne(doc)
        return {
          message: { ...toMessage(doc), ...(current !== undefined ? { current } : {}) },
          duplicate: false,
        }
      } catch (err) {
        if (!isDuplicateKey(err)) throw err
        const again = await first()
        if (again) return { message: toMessage(again), duplicate: true }
        seq = Math.max(seq, await lastSeq(room))
      }
    }
  }

  return {
    append,
    async appendMany(list, hint) {
      if (list.length <= 1) return list.length === 1 ? [await append(list[0]!, hint)] : []
      // One ordered insert of the whole batch at the next seqs. Ordered means the server stops
      // at the first document that collides: everything before it is stored, gapless. The one
      // that collided is either a repeated clientMsgId (answered with the message stored
      // first) or a seq another instance took (the batch moves past the room's last seq); then
      // the rest goes again as one insert.
      const room = oid(list[0]!.roomId)
      const results: { message: MessageRecord; duplicate: boolean }[] = []
      let last = hint ?? (await lastSeq(room))
      let rest = list
      while (rest.length > 0) {
        const from = last
        const docs: MessageDoc[] = rest.map(({ id, roomId: _, current: __, ...m }, i) => ({
          _id: oid(id),
          roomId: room,
          seq: from + 1 + i,
          dedupe: dedupeOf(rest[i]!),
          ...m,
        }))
        let stored = docs.length
        try {
          await messages.insertMany(docs, { ordered: true })
        } catch (err) {
          const e = err as { writeErrors?: { index?: number }[]; insertedCount?: number }
          if (!isDuplicateKey(err) && !e.writeErrors?.length) throw err
          stored = e.writeErrors?.[0]?.index ?? e.insertedCount ?? 0
        }
        for (const [i, d] of docs.slice(0, stored).entries()) {
          const current = rest[i]!.current
          results.push({
            message: { ...toMessage(d), ...(current !== undefined ? { current } : {}) },
            duplicate: false,
          })
        }
        if (stored > 0) last = docs[stored - 1]!.seq
        rest = rest.slice(stored)
        if (rest.length === 0) break
        const collided = rest[0]!
        const first = collided.clientMsgId ? await messages.findOne({ dedupe: dedupeOf(collided) }) : null
        if (first) {
          results.push({ message: toMessage(first), duplicate: true })
          rest = rest.slice(1)
        } else {
          last = Math.max(last + 1, await lastSeq(room))
        }
      }
      return results
    },
    range: (roomId, q) => pageOf(roomId, q, false),
    history: (roomId, q) => pageOf(roomId, q, true),
    async get(roomId, seq) {
      const doc = await base(roomId, seq)
      return doc ? (await complete([doc], doc.roomId))[0]! : null
    },
    async lastSeq(roomId) {
      const room = oidOrNull(roomId)
      return room ? lastSeq(room) : 0
    },
    async edit(roomId, seq, text, mentions, at) {
      const doc = await base(roomId, seq)
      if (!doc) return 'missing'
      if (doc.deleted || (await deletions.findOne({ _id: doc._id }))) return 'deleted'
      await messages.updateOne({ _id: doc._id }, { $set: { text, mentions, editedAt: at } })
      // A deletion that slipped in meanwhile may have been overwritten by our update: wipe again.
      if (await deletions.findOne({ _id: doc._id })) {
        await wipe(doc._id)
        return 'overridden'
      }
      return 'edited'
    },
    async remove(roomId, seq) {
      const doc = await base(roomId, seq)
      if (!doc || doc.deleted) return null
      try {
        await deletions.insertOne({ _id: doc._id, at: new Date() })
      } catch (err) {
        if (isDuplicateKey(err)) return null
        throw err
      }
      await wipe(doc._id)
      await reactions.deleteMany({ messageId: hex(doc._id) })
      return toMessage(doc)
    },
    async react(messageId, emoji, userId, max, at) {
      const emojis: string[] = await reactions.distinct('emoji', { messageId })
      if (!emojis.includes(emoji) && emojis.length >= max) return 'full'
      const _id = `${messageId}:${emoji}:${userId}`
      try {
        await reactions.insertOne({ _id, messageId, emoji, userId, at })
      } catch (err) {
        if (isDuplicateKey(err)) return 'already'
        throw err
      }
      if (emojis.includes(emoji)) return 'added'
      // A new emoji raced others past the limit: emojis rank by their first reaction, and the
      // ones ranked past `max` take themselves back, so every instance agrees which stay.
      const all = await reactions.find({ messageId }).sort({ at: 1, _id: 1 }).toArray()
      const order = [...new Set(all.map((r) => r.emoji))]
      if (order.indexOf(emoji) >= max) {
        await reactions.deleteOne({ _id })
        return 'full'
      }
      return 'added'
    },
    async unreact(messageId, emoji, userId) {
      return (await reactions.deleteOne({ _id: `${messageId}:${emoji}:${userId}` })).deletedCount > 0
    },
    async markRead(roomId, userId, seq) {
      if ((await readSeq(roomId, userId)) >= seq) return false
      try {
        await reads.insertOne({ _id: `${roomId}:${userId}:${seq}`, roomId, userId, seq })
      } catch (err) {
        if (isDuplicateKey(err)) return false
        throw err
      }
      await reads.deleteMany({ roomId, userId, seq: { $lt: seq } })
      return true
    },
    readSeq,
    async unread(userId, onlyRooms) {
      // Two round trips when the caller names the candidate rooms (the service passes the
      // user's rooms from the state it keeps), three otherwise; nothing is counted ahead, so
      // nothing can drift:
      // 1. the user's memberships and read markers, and (when the rooms are named) the events
      //    per room (`$in`, one aggregation: seqs have no gaps, so a room's event count is its
      //    last seq; FerretDB 1.24 has no `$max` in `$group`), all at once. Without named rooms
      //    the event counts wait for the memberships: that is the third round trip.
      // 2. Only over the rooms with events after the marker: unread messages and mentions, one
      //    aggregation, with one `$or` clause per distinct marker. An `$or` of one
      //    clause per room costs FerretDB 1.24 about 18 s for 1,000 rooms (it filters in Go,
      //    clause by clause), an `$in` 0.4 s: the clauses are kept as few as the data allows.
      const uid = oidOrNull(userId)
      if (!uid) return []
      const named = onlyRooms?.flatMap((r) => oidOrNull(r) ?? [])
      if (named?.length === 0) return []
      const group = (filter: Filter<MessageDoc>) =>
        messages
          .aggregate<{ _id: ObjectId; n: number }>(
            [{ $match: filter }, { $group: { _id: '$roomId', n: { $sum: 1 } } }],
            { batchSize: ONE_BATCH },
          )
          .toArray()
      const byRoom = (rows: { _id: ObjectId; n: number }[]) => new Map(rows.map((r) => [hex(r._id), r.n]))
      // The user's memberships and markers are read whole and kept to the named rooms here:
      // FerretDB compares `$in` element by element in Go, which costs more than the rows.
      const wanted = onlyRooms ? new Set(onlyRooms) : null
      const [memberships, marks, counted] = await Promise.all([
        members
          .find({ userId: uid }, { projection: { roomId: 1, ticket: 1 }, batchSize: ONE_BATCH })
          .sort({ ticket: 1 })
          .toArray(),
        reads.find({ userId }, { projection: { roomId: 1, seq: 1 }, batchSize: ONE_BATCH }).toArray(),
        named ? group({ roomId: { $in: named } }) : null,
      ])
      const mine = wanted ? memberships.filter((m) => wanted.has(hex(m.roomId))) : memberships
      if (mine.length === 0) return []
      const read = new Map<string, number>()
      for (const m of marks) read.set(m.roomId, Math.max(read.get(m.roomId) ?? 0, m.seq))
      const lastOf = byRoom(counted ?? (await group({ roomId: { $in: mine.map((m) => m.roomId) } })))
      const news = mine.filter((m) => (lastOf.get(hex(m.roomId)) ?? 0) > (read.get(hex(m.roomId)) ?? 0))
      if (news.length === 0) return []
      const atMarker = new Map<number, ObjectId[]>()
      for (const m of news) {
        const seq = read.get(hex(m.roomId)) ?? 0
        const list = atMarker.get(seq)
        if (list) list.push(m.roomId)
        else atMarker.set(seq, [m.roomId])
      }
      const after: Filter<MessageDoc> = {
        $and: [
          // One clause per distinct marker (rooms never read share the clause of 0).
          { $or: [...atMarker].map(([seq, roomIds]) => ({ roomId: { $in: roomIds }, seq: { $gt: seq } })) },
          { kind: { $ne: 'update' }, deleted: { $ne: true }, 'from.id': { $nin: [null, userId] } },
        ],
      }
      // One scan for both counts: grouped by room and by the mentions list itself (most
      // messages share the empty one), so the rows that name the user give the mentions.
      const rows = await messages
        .aggregate<{ _id: { room: ObjectId; mentions?: string[] }; n: number }>(
          [
            { $match: after },
            { $group: { _id: { room: '$roomId', mentions: '$mentions' }, n: { $sum: 1 } } },
          ],
          { batchSize: ONE_BATCH },
        )
        .toArray()
      const unreadOf = new Map<string, number>()
      const mentionsOf = new Map<string, number>()
      for (const { _id, n } of rows) {
        const room = hex(_id.room)
        unreadOf.set(room, (unreadOf.get(room) ?? 0) + n)
        if (_id.mentions?.includes(userId)) mentionsOf.set(room, (mentionsOf.get(room) ?? 0) + n)
      }
      const items: UnreadRecord[] = []
      for (const m of news) {
        const room = hex(m.roomId)
        const item = {
          room,
          lastSeq: lastOf.get(room) ?? 0,
          readSeq: read.get(room) ?? 0,
          unread: unreadOf.get(room) ?? 0,
          mentions: mentionsOf.get(room) ?? 0,
        }
        if (item.unread > 0 || item.mentions > 0) items.push(item)
      }
      return items
    },
  }
}
