// Pinned messages in SQLite: one row per pin; the limit is checked in the insert's transaction.
import type { Database } from 'better-sqlite3'
import type { PinRecord } from '../records.ts'
import type { PinStore } from '../store.ts'

interface PinRow {
  room_id: string
  seq: number
  pinned_by: string | null
  pinned_at: number
}

const toPin = (r: PinRow): PinRecord => ({
  roomId: r.room_id,
  seq: r.seq,
  pinnedBy: r.pinned_by ? JSON.parse(r.pinned_by) : null,
  pinnedAt: new Date(r.pinned_at),
})

export function sqlitePins(db: Database): PinStore {
  const exists = db.prepare<[string, number], { seq: number }>(
    'SELECT seq FROM pins WHERE room_id = ? AND seq = ?',
  )
  const count = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM pins WHERE room_id = ?')
  const insert = db.prepare('INSERT INTO pins (room_id, seq, pinned_by, pinned_at) VALUES (?, ?, ?, ?)')
  const remove = db.prepare('DELETE FROM pins WHERE room_id = ? AND seq = ?')
  const list = db.prepare<[string], PinRow>(
    'SELECT * FROM pins WHERE room_id = ? ORDER BY pinned_at DESC, seq DESC',
  )
  const pin = db.transaction((p: PinRecord, max: number) => {
    if (exists.get(p.roomId, p.seq)) return 'already' as const
    if ((count.get(p.roomId)?.n ?? 0) >= max) return 'full' as const
    insert.run(p.roomId, p.seq, p.pinnedBy ? JSON.stringify(p.pinnedBy) : null, p.pinnedAt.getTime())
    return 'pinned' as const
  })
  return {
    async pin(p, max) {
      return pin(p, max)
    },
    async unpin(roomId, seq) {
      return remove.run(roomId, seq).changes > 0
    },
    async list(roomId) {
      return list.all(roomId).map(toPin)
    },
  }
}
