// Incoming webhooks on MongoDB. A webhook's document is its room's numbered place: its `_id` is
// `${roomId}:${place}`, so taking a place is an insert that the primary key makes atomic on
// every MongoDB-wire server (FerretDB's conditional updates are not). Of concurrent creates
// for the last place one gets it, the others try the next one, up to the cap.
import type { Db, IndexDescription } from 'mongodb'
import type { AuditUserRef, WebhookRecord } from '../records.ts'
import type { WebhookStore } from '../store.ts'
import { isDuplicateKey } from './ids.ts'

interface WebhookDoc {
  _id: string
  hookId: string
  roomId: string
  place: number
  name: string
  secretHash: string
  createdBy: AuditUserRef
  createdAt: Date
}

export const webhookIndexes: IndexDescription[] = [
  { key: { hookId: 1 }, name: 'hook_unique', unique: true },
  { key: { roomId: 1, place: 1 }, name: 'room_place' },
]

const toRecord = (d: WebhookDoc): WebhookRecord => ({
  id: d.hookId,
  roomId: d.roomId,
  name: d.name,
  secretHash: d.secretHash,
  createdBy: d.createdBy,
  createdAt: d.createdAt,
})

export function mongoWebhooks(db: Db): WebhookStore {
  const hooks = db.collection<WebhookDoc>('webhooks')
  return {
    async create(h, max) {
      const taken = new Set(
        (await hooks.find({ roomId: h.roomId }, { projection: { place: 1 } }).toArray()).map((d) => d.place),
      )
      for (let place = 0; place < max; place++) {
        if (taken.has(place)) continue
        try {
          await hooks.insertOne({
            _id: `${h.roomId}:${place}`,
            hookId: h.id,
            roomId: h.roomId,
            place,
            name: h.name,
            secretHash: h.secretHash,
            createdBy: h.createdBy,
            createdAt: h.createdAt,
          })
          return 'created'
        } catch (err) {
          // Another create took this place meanwhile: the next one.
          if (!isDuplicateKey(err)) throw err
        }
      }
      return 'full'
    },
    async get(id) {
      const doc = await hooks.findOne({ hookId: id })
      return doc ? toRecord(doc) : null
    },
    async list(roomId) {
      const docs = await hooks.find({ roomId }).sort({ createdAt: 1, hookId: 1 }).toArray()
      return docs.map(toRecord)
    },
    async delete(id) {
      return (await hooks.deleteOne({ hookId: id })).deletedCount > 0
    },
    async deleteByRoom(roomId) {
      await hooks.deleteMany({ roomId })
    },
  }
}
