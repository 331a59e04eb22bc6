// Read markers and unread counts in MongoDB: a marker that never moves back, and the unread
// messages and mentions of all a user's rooms in a bounded number of round trips.
import type { Db, Filter, IndexDescription, ObjectId } from 'mongodb'
import type { MessageStore, UnreadRecord } from '../store.ts'
import { hex, isDuplicateKey, oidOrNull } from './ids.ts'
import { type MessageDoc, messagesOf } from './message-docs.ts'

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

export function mongoUnread(db: Db): Pick<MessageStore, 'markRead' | 'readSeq' | 'unread'> {
  const messages = messagesOf(db)
  const reads = db.collection<ReadDoc>('reads')
  const members = db.collection<{ roomId: ObjectId; userId: ObjectId; ticket: number }>('members')

  const readSeq = async (roomId: string, userId: string) =>
    (await reads.find({ userId, roomId }).sort({ seq: -1 }).limit(1).next())?.seq ?? 0

  return {
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
