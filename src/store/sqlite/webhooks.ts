// Incoming webhooks on SQLite. The free place is found and taken in one transaction, so the
// cap holds (one process writes this file).
import type { Database } from 'better-sqlite3'
import type { WebhookRecord } from '../records.ts'
import type { WebhookStore } from '../store.ts'

interface Row {
  id: string
  room_id: string
  place: number
  name: string
  secret_hash: string
  created_by: string
  created_at: number
}

const toRecord = (r: Row): WebhookRecord => ({
  id: r.id,
  roomId: r.room_id,
  name: r.name,
  secretHash: r.secret_hash,
  createdBy: JSON.parse(r.created_by),
  createdAt: new Date(r.created_at),
})

export function sqliteWebhooks(db: Database): WebhookStore {
  const places = db.prepare<[string], { place: number }>(
    'SELECT place FROM webhooks WHERE room_id = ? ORDER BY place',
  )
  const insert = db.prepare(
    `INSERT INTO webhooks (id, room_id, place, name, secret_hash, created_by, created_at)
     VALUES (@id, @roomId, @place, @name, @secretHash, @createdBy, @createdAt)`,
  )
  const byId = db.prepare<[string], Row>('SELECT * FROM webhooks WHERE id = ?')
  const byRoom = db.prepare<[string], Row>('SELECT * FROM webhooks WHERE room_id = ? ORDER BY created_at, id')
  const remove = db.prepare('DELETE FROM webhooks WHERE id = ?')
  const removeRoom = db.prepare('DELETE FROM webhooks WHERE room_id = ?')
  const create = db.transaction((h: WebhookRecord, max: number): 'created' | 'full' => {
    const taken = new Set(places.all(h.roomId).map((r) => r.place))
    let place = 0
    while (taken.has(place)) place++
    if (place >= max) return 'full'
    insert.run({
      id: h.id,
      roomId: h.roomId,
      place,
      name: h.name,
      secretHash: h.secretHash,
      createdBy: JSON.stringify(h.createdBy),
      createdAt: h.createdAt.getTime(),
    })
    return 'created'
  })
  return {
    async create(hook, max) {
      return create(hook, max)
    },
    async get(id) {
      const r = byId.get(id)
      return r ? toRecord(r) : null
    },
    async list(roomId) {
      return byRoom.all(roomId).map(toRecord)
    },
    async delete(id) {
      return remove.run(id).changes > 0
    },
    async deleteByRoom(roomId) {
      removeRoom.run(roomId)
    },
  }
}
