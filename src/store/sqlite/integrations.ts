// Outgoing integrations on SQLite. One process writes the file, so every statement is atomic
// against the others; the lease is one INSERT … ON CONFLICT … RETURNING (two handles on one file
// still get one holder: SQLite serialises the writes).
import type { Database } from 'better-sqlite3'
import type { IntegrationCursor, IntegrationRecord } from '../integration-records.ts'
import type { IntegrationStore } from '../store.ts'
import { date } from './schema.ts'

interface Row {
  id: string
  url: string
  secret: string
  rooms: string
  events: string
  created_at: number
  created_by: string
}

interface CursorRow {
  integration: string
  room: string
  seq: number
  last_error: string | null
  last_attempt_at: number | null
}

const toRecord = (r: Row): IntegrationRecord => ({
  id: r.id,
  url: r.url,
  secret: r.secret,
  rooms: JSON.parse(r.rooms) as IntegrationRecord['rooms'],
  events: JSON.parse(r.events) as IntegrationRecord['events'],
  createdAt: new Date(r.created_at),
  createdBy: JSON.parse(r.created_by) as IntegrationRecord['createdBy'],
})

const toCursor = (r: CursorRow): IntegrationCursor => ({
  integration: r.integration,
  room: r.room,
  seq: r.seq,
  lastError: r.last_error,
  lastAttemptAt: date(r.last_attempt_at),
})

export function sqliteIntegrations(db: Database): IntegrationStore {
  const insert = db.prepare(
    `INSERT INTO integrations (id, url, secret, rooms, events, created_at, created_by)
     VALUES (@id, @url, @secret, @rooms, @events, @createdAt, @createdBy)`,
  )
  const addCursor = db.prepare(
    'INSERT INTO integration_cursors (integration, room, seq) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
  )
  const create = db.transaction((i: IntegrationRecord, cursors: { room: string; seq: number }[]) => {
    insert.run({
      id: i.id,
      url: i.url,
      secret: i.secret,
      rooms: JSON.stringify(i.rooms),
      events: JSON.stringify(i.events),
      createdAt: i.createdAt.getTime(),
      createdBy: JSON.stringify(i.createdBy),
    })
    for (const c of cursors) addCursor.run(i.id, c.room, c.seq)
  })
  const addCursors = db.transaction((id: string, cursors: { room: string; seq: number }[]) => {
    for (const c of cursors) addCursor.run(id, c.room, c.seq)
  })
  const get = db.prepare<[string], Row>('SELECT * FROM integrations WHERE id = ?')
  const list = db.prepare<[], Row>('SELECT * FROM integrations ORDER BY created_at, id')
  const count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM integrations')
  const remove = db.transaction((id: string) => {
    db.prepare('DELETE FROM integration_cursors WHERE integration = ?').run(id)
    db.prepare('DELETE FROM integration_leases WHERE integration = ?').run(id)
    return db.prepare('DELETE FROM integrations WHERE id = ?').run(id).changes > 0
  })
  const cursors = db.prepare<[string], CursorRow>('SELECT * FROM integration_cursors WHERE integration = ?')
  const advance = db.prepare(
    `UPDATE integration_cursors SET seq = max(seq, ?), last_error = NULL, last_attempt_at = ?
     WHERE integration = ? AND room = ?`,
  )
  const advanceAll = db.transaction((id: string, cs: { room: string; seq: number }[], at: number) => {
    for (const c of cs) advance.run(c.seq, at, id, c.room)
  })
  const failed = db.prepare(
    'UPDATE integration_cursors SET last_error = ?, last_attempt_at = ? WHERE integration = ? AND room = ?',
  )
  const without = db.prepare<[string, number], { id: string }>(
    `SELECT r.id FROM rooms r WHERE r.kind <> 'dm'
       AND NOT EXISTS (SELECT 1 FROM integration_cursors c WHERE c.integration = ? AND c.room = r.id)
     ORDER BY r.created_at, r.id LIMIT ?`,
  )
  const claim = db.prepare<{ id: string; owner: string; until: number; now: number }, { owner: string }>(
    `INSERT INTO integration_leases (integration, owner, until) VALUES (@id, @owner, @until)
     ON CONFLICT (integration) DO UPDATE SET owner = excluded.owner, until = excluded.until
       WHERE integration_leases.owner = excluded.owner OR integration_leases.until <= @now
     RETURNING owner`,
  )
  const release = db.prepare('DELETE FROM integration_leases WHERE integration = ? AND owner = ?')

  return {
    async create(integration, cs) {
      create(integration, cs)
    },
    async get(id) {
      const r = get.get(id)
      return r ? toRecord(r) : null
    },
    async list() {
      return list.all().map(toRecord)
    },
    async count() {
      return count.get()?.n ?? 0
    },
    async delete(id) {
      return remove(id)
    },
    async cursors(id) {
      return cursors.all(id).map(toCursor)
    },
    async addCursors(id, cs) {
      addCursors(id, cs)
    },
    async advance(id, cs, at) {
      // One transaction for every room: one commit (one fsync) however many cursors moved.
      if (cs.length > 0) advanceAll(id, cs, at.getTime())
    },
    async failed(id, room, error, at) {
      failed.run(error, at.getTime(), id, room)
    },
    async roomsWithout(id, limit) {
      return without.all(id, limit).map((r) => r.id)
    },
    async claim(id, owner, ms, now) {
      // No row back: another owner's lease that has not run out.
      return claim.get({ id, owner, until: now.getTime() + ms, now: now.getTime() })?.owner === owner
    },
    async release(id, owner) {
      release.run(id, owner)
    },
  }
}
