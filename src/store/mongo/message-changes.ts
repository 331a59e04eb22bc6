// Changing stored messages in MongoDB: edits and deletions (a deletion wins whatever the
// order), and reactions (one document per user and emoji, so adding is an insert).
import type { Collection, Db, IndexDescription, ObjectId } from 'mongodb'
import { indexTerms } from '../../search/terms.ts'
import type { MessageStore } from '../store.ts'
import { hex, isDuplicateKey, oidOrNull } from './ids.ts'
import { baseOf, messagesOf, toMessage } from './message-docs.ts'

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

export const reactionsOf = (db: Db): Collection<ReactionDoc> => db.collection<ReactionDoc>('reactions')

export function mongoChanges(
  db: Db,
): Pick<MessageStore, 'edit' | 'remove' | 'removeMany' | 'react' | 'unreact'> {
  const messages = messagesOf(db)
  const reactions = reactionsOf(db)
  const deletions = db.collection<DeletionDoc>('deletions')
  const base = (roomId: string, seq: number) => baseOf(messages, roomId, seq)
  const wipe = (_id: ObjectId) =>
    messages.updateOne(
      { _id },
      { $set: { text: '', mentions: [], file: null, replyTo: null, deleted: true, terms: [] } },
    )

  return {
    async edit(roomId, seq, text, mentions, at) {
      const doc = await base(roomId, seq)
      if (!doc) return 'missing'
      if (doc.deleted || (await deletions.findOne({ _id: doc._id }))) return 'deleted'
      await messages.updateOne(
        { _id: doc._id },
        { $set: { text, mentions, editedAt: at, terms: indexTerms(text) } },
      )
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
    async removeMany(roomId, seqs) {
      const room = oidOrNull(roomId)
      if (!room || seqs.length === 0) return []
      const docs = await messages
        .find({ roomId: room, seq: { $in: seqs }, kind: { $ne: 'update' }, deleted: { $ne: true } })
        .toArray()
      if (docs.length === 0) return []
      // One insert for the batch, unordered: the deletions another caller took first fail
      // alone (duplicate keys), and those messages are that caller's to announce.
      const lost = new Set<number>()
      const at = new Date()
      try {
        await deletions.insertMany(
          docs.map((d) => ({ _id: d._id, at })),
          { ordered: false },
        )
      } catch (err) {
        const writeErrors = (err as { writeErrors?: unknown }).writeErrors
        if (!writeErrors) throw err
        for (const e of [writeErrors].flat() as { index: number; code?: number }[]) {
          if (!isDuplicateKey(e)) throw err
          lost.add(e.index)
        }
      }
      const won = docs.filter((_, i) => !lost.has(i))
      if (won.length === 0) return []
      const ids = won.map((d) => d._id)
      await messages.updateMany(
        { _id: { $in: ids } },
        { $set: { text: '', mentions: [], file: null, replyTo: null, deleted: true, terms: [] } },
      )
      await reactions.deleteMany({ messageId: { $in: ids.map(hex) } })
      return won.map(toMessage)
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
  }
}
