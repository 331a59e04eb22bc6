// Pinned messages in MongoDB: one document per pin, `_id` `${roomId}:${seq}`, so pinning is an
// insert (concurrent pins of one message store one). The limit: each pin holds one of the room's
// places, `slot` 0..max-1, under a unique (roomId, slot) index: inserts against unique indexes
// are what stays atomic on every MongoDB-wire server (FerretDB's conditional updates are not).
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
  /** The room's place the pin holds (0..max-1). */
  slot: number
}

export const pinIndexes: IndexDescription[] = [
  { key: { roomId: 1, pinnedAt: -1 }, name: 'room_latest' },
  { key: { roomId: 1, slot: 1 }, name: 'room_slot_unique', unique: true },
]

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
      // A pin takes one of the room's `max` places, unique per room: of pins racing on any
      // instance, only as many as there are free places are stored.
      const taken = new Set(
        (await pins.find({ roomId: p.roomId }, { projection: { slot: 1 } }).toArray()).map((d) => d.slot),
      )
      for (let slot = 0; slot < max; slot++) {
        if (taken.has(slot)) continue
        try {
          await pins.insertOne({ _id, ...p, slot })
          return 'pinned'
        } catch (err) {
          if (!isDuplicateKey(err)) throw err
          if (await pins.findOne({ _id })) return 'already'
          // Another pin took this place meanwhile: the next one.
        }
      }
      return 'full'
    },
    async unpin(roomId, seq) {
      return (await pins.deleteOne({ _id: `${roomId}:${seq}` })).deletedCount > 0
    },
    async list(roomId) {
      return (await pins.find({ roomId }).sort({ pinnedAt: -1, seq: -1 }).toArray()).map(toPin)
    },
  }
}
