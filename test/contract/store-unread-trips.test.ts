// GET /api/me/unread's store query for a user in many rooms: the commands it costs, as the README
// states them. On MongoDB (the run's MongoDB-wire server), the driver's command events: which
// command on which collection, grouped by round trip (parallel commands are one round trip: a
// round trip starts when a command starts while none is in flight), and no getMore. On SQLite,
// the statements better-sqlite3 runs (its `verbose` hook): one query whatever the number of rooms.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { type CommandStartedEvent, MongoClient } from 'mongodb'
import t, { type Test } from 'tap'
import { newId } from '../../src/ids.ts'
import { connectMongo } from '../../src/store/mongo/index.ts'
import type { UserSnapshot } from '../../src/store/records.ts'
import { sqliteMessages } from '../../src/store/sqlite/messages.ts'
import { sqliteRooms } from '../../src/store/sqlite/rooms.ts'
import { migrate } from '../../src/store/sqlite/schema.ts'
import { sqliteSearchIndex } from '../../src/store/sqlite/search-index.ts'
import type { Store } from '../../src/store/store.ts'
import { isolatedMongoUrl, mongoUrl, needServer } from '../helpers/servers.ts'

const ROOMS = 250 // more than a cursor's default first batch (101), so a getMore would show

/** 250 rooms of one reader: a message in every fifth, a mention in every 25th, markers in some. */
async function seed(store: Pick<Store, 'rooms' | 'messages'>) {
  const creator: UserSnapshot = { id: newId(), username: 'creator', displayName: 'creator' }
  const reader = newId()
  const ids: string[] = []
  for (let r = 0; r < ROOMS; r++) {
    const id = newId()
    ids.push(id)
    await store.rooms.create({
      id,
      name: `room ${r}`,
      description: '',
      creator,
      maxMembers: 10,
      memberCount: 1,
      createdAt: new Date(),
    })
    await store.rooms.join(id, reader, new Date())
  }
  for (let r = 0; r < ROOMS; r += 5)
    for (let k = 0; k < 2; k++)
      await store.messages.append({
        id: newId(),
        roomId: ids[r]!,
        kind: 'text',
        from: creator,
        text: 'hello',
        file: null,
        clientMsgId: null,
        createdAt: new Date(),
        mentions: k === 1 && r % 25 === 0 ? [reader] : [],
      })
  for (let r = 0; r < ROOMS; r += 10) await store.messages.markRead(ids[r]!, reader, 1)
  return { reader, ids }
}

type Items = Awaited<ReturnType<Store['messages']['unread']>>

function checkAnswers(t: Test, named: Items, all: Items) {
  t.equal(named.length, ROOMS / 5, 'every room with a message')
  t.equal(named.filter((i) => i.mentions > 0).length, ROOMS / 25)
  t.equal(named.filter((i) => i.readSeq === 1 && i.unread === 1).length, ROOMS / 10)
  t.same(all, named, 'the same answer either way')
}

t.test('unread on MongoDB: the commands of two round trips with named rooms, three without', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl)) return
  const url = isolatedMongoUrl(mongoUrl)
  const { store, db } = await connectMongo(url, { monitorCommands: true })
  t.teardown(async () => {
    await store.close()
    const client = new MongoClient(url)
    await client.db().dropDatabase()
    await client.close()
  })
  const { reader, ids } = await seed(store)

  // Each round trip's commands, as "command collection", sorted (parallel ones start in any order).
  let trips: string[][] = []
  let inFlight = 0
  const client = db.client
  client.on('commandStarted', (e: CommandStartedEvent) => {
    if (inFlight === 0) trips.push([])
    inFlight++
    trips.at(-1)!.push(`${e.commandName} ${String(e.command[e.commandName])}`)
  })
  const done = () => inFlight--
  client.on('commandSucceeded', done)
  client.on('commandFailed', done)
  const measure = async (named: boolean) => {
    // Warm the connection pool first, so parallel commands do not wait for new connections.
    await store.messages.unread(reader, named ? ids : undefined)
    trips = []
    const items = await store.messages.unread(reader, named ? ids : undefined)
    return { items, trips: trips.map((trip) => trip.sort()) }
  }
  const named = await measure(true)
  const all = await measure(false)
  checkAnswers(t, named.items, all.items)
  t.same(
    named.trips,
    [['aggregate messages', 'find members', 'find reads'], ['aggregate messages']],
    'named rooms: memberships, markers and the event counts at once, then one aggregation (4 commands, 2 round trips, no getMore)',
  )
  t.same(
    all.trips,
    [['find members', 'find reads'], ['aggregate messages'], ['aggregate messages']],
    'all rooms: memberships and markers, then the event counts, then one aggregation (no getMore)',
  )
})

t.test('unread on SQLite: one query whatever the number of rooms', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'roomchat-unread-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  // The store's own parts over a connection whose every statement run is seen.
  const statements: string[] = []
  const db = new Database(join(dir, 'chat.db'), { verbose: (sql) => statements.push(String(sql)) })
  t.teardown(() => db.close())
  db.pragma('journal_mode = WAL')
  db.pragma('foreign_keys = ON')
  migrate(db)
  const store = { rooms: sqliteRooms(db), messages: sqliteMessages(db, sqliteSearchIndex(db)) }
  const { reader, ids } = await seed(store)
  const measure = async (rooms?: string[]) => {
    statements.length = 0
    const items = await store.messages.unread(reader, rooms)
    return { items, statements: [...statements] }
  }
  const named = await measure(ids)
  const all = await measure()
  const few = await measure(ids.slice(0, 20))
  checkAnswers(t, named.items, all.items)
  t.same(
    few.items,
    named.items.filter((i) => ids.slice(0, 20).includes(i.room)),
    'a page of rooms: the same answer for those',
  )
  for (const [label, m] of [
    ['named rooms', named],
    ['all rooms', all],
    ['a page of rooms', few],
  ] as const) {
    t.equal(m.statements.length, 1, `${label}: one statement (${m.statements.length})`)
    t.match(m.statements[0], /^SELECT \* FROM \(\s*SELECT mb\.room_id AS room/, `${label}: the unread query`)
  }
})
