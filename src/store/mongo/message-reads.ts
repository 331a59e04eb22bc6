// Reading a room's stream from MongoDB: pages in seq order, one message, the last seq. Each
// comes in its current state with its reactions; an update with the message it changed.
import type { Db, Filter, ObjectId } from 'mongodb'
import { groupReactions } from '../reactions.ts'
import type { MessageRecord, ReactionRecord } from '../records.ts'
import type { MessageStore } from '../store.ts'
import { oidOrNull } from './ids.ts'
import { reactionsOf } from './message-changes.ts'
import { baseOf, lastSeqOf, type MessageDoc, messagesOf, toMessage } from './message-docs.ts'

export function mongoReads(db: Db): Pick<MessageStore, 'range' | 'history' | 'get' | 'lastSeq'> {
  const messages = messagesOf(db)
  const reactions = reactionsOf(db)

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

  return {
    range: (roomId, q) => pageOf(roomId, q, false),
    history: (roomId, q) => pageOf(roomId, q, true),
    async get(roomId, seq) {
      const doc = await baseOf(messages, roomId, seq)
      return doc ? (await complete([doc], doc.roomId))[0]! : null
    },
    async lastSeq(roomId) {
      const room = oidOrNull(roomId)
      return room ? lastSeqOf(messages, room) : 0
    },
  }
}
