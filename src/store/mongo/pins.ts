// Pinned messages in MongoDB: one document per pin, `_id` `${roomId}:${seq}`, so pinning is an
// insert (concurrent pins of one message store one). The limit: a pin that raced others past
// it ranks them by time and, placed past the limit, takes itself back, so every instance agrees.
import type { Db, IndexDescription } from 'mongodb'
import type { PinRecord, UserSnapshot } from '../records.ts'
import type { PinStore } from '../store.ts'
import { isDuplicateKey } from './ids.ts'

export interface PinDoc {
  _id: string
  roomId: string
  seq: number
  pinnedBy: UserSnapshot | null
  pinnedAt: Date
}

export const pinIndexes: IndexDescription[] = [{ key: { roomId: 1, pinnedAt: -1 }, name: 'room_latest' }]

export const pinsOf = (db: Db) => db.collection<PinDoc>('pins')

const toPin = ({ roomId, seq, pinnedBy, pinnedAt }: PinDoc): PinRecord => ({
  roomId,
  seq,
  pinnedBy,
  pinnedAt,
})

export function mongoPins(db: Db): PinStore {
  const pins = pinsOf(db)
  return {
    async pin(p, max) {
      const _id = `${p.roomId}:${p.seq}`
      if (await pins.findOne({ _id })) return 'already'
      if ((await pins.countDocuments({ roomId: p.roomId })) >= max) return 'full'
      try {
        await pins.insertOne({ _id, ...p })
      } catch (err) {
        if (isDuplicateKey(err)) return 'already'
        throw err
      }
      const order = await pins
        .find({ roomId: p.roomId }, { projection: { _id: 1 } })
        .sort({ pinnedAt: 1, _id: 1 })
        .toArray()
      if (order.findIndex((d) => d._id === _id) >= max) {
        await pins.deleteOne({ _id })
        return 'full'
      }
      return 'pinned'
    },
    async unpin(roomId, seq) {
      return (await pins.deleteOne({ _id: `${roomId}:${seq}` })).deletedCount > 0
    },
    async list(roomId) {
      return (await pins.find({ roomId }).sort({ pinnedAt: -1, seq: -1 }).toArray()).map(toPin)
    },
  }
}
