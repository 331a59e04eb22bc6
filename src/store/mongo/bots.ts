// Bots' tokens on MongoDB: one document per bot session, its `_id` the session's.
import type { Db, IndexDescription, ObjectId } from 'mongodb'
import type { BotStore } from '../store.ts'
import { hex, oid, oidOrNull } from './ids.ts'

interface BotTokenDoc {
  _id: ObjectId
  userId: string
  hash: string
  createdAt: Date
}

export const botTokenIndexes: IndexDescription[] = [{ key: { userId: 1, createdAt: 1 }, name: 'user' }]

export function mongoBots(db: Db): BotStore {
  const tokens = db.collection<BotTokenDoc>('bot_tokens')
  return {
    async putToken({ sessionId, ...t }) {
      await tokens.insertOne({ _id: oid(sessionId), ...t })
    },
    async token(sessionId) {
      const _id = oidOrNull(sessionId)
      const doc = _id && (await tokens.findOne({ _id }))
      return doc
        ? { sessionId: hex(doc._id), userId: doc.userId, hash: doc.hash, createdAt: doc.createdAt }
        : null
    },
    async botIds() {
      // Few bots: every token's user, in the order of their first token.
      const docs = await tokens
        .find({}, { projection: { userId: 1 } })
        .sort({ createdAt: 1, _id: 1 })
        .toArray()
      return [...new Set(docs.map((d) => d.userId))]
    },
  }
}
