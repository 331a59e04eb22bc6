// GET /api/me/unread's store query on MongoDB: how many round trips it costs for a user in
// many rooms (the driver's command events, on the MongoDB-wire server of the run). Parallel
// commands are one round trip: a round trip starts when a command starts while none is in flight.
import { MongoClient } from 'mongodb'
import t from 'tap'
import { newId } from '../../src/ids.ts'
import { connectMongo } from '../../src/store/mongo/index.ts'
import type { UserSnapshot } from '../../src/store/records.ts'
import { isolatedMongoUrl, mongoUrl, needServer } from '../helpers/servers.ts'

const ROOMS = 250 // more than a cursor's default first batch (101), so a getMore would show

t.test('unread for a user in many rooms: two round trips with named rooms, three without', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl)) return
  const url = isolatedMongoUrl(mongoUrl)
  const { store, db } = await connectMongo(url, { monitorCommands: true })
  t.teardown(async () => {
    await store.close()
    const client = new MongoClient(url)
    await client.db().dropDatabase()
    await client.close()
  })
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
  // A message in every fifth room, a mention in every twenty-fifth; markers in some.
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

  let inFlight = 0
  let trips = 0
  let commands = 0
  const client = db.client
  client.on('commandStarted', () => {
    if (inFlight === 0) trips++
    inFlight++
    commands++
  })
  const done = () => inFlight--
  client.on('commandSucceeded', done)
  client.on('commandFailed', done)
  const measure = async (named: boolean) => {
    // Warm the connection pool first, so parallel commands do not wait for new connections.
    await store.messages.unread(reader, named ? ids : undefined)
    trips = 0
    commands = 0
    const items = await store.messages.unread(reader, named ? ids : undefined)
    return { items, trips, commands }
  }
  const named = await measure(true)
  const all = await measure(false)
  t.equal(named.items.length, ROOMS / 5, 'every room with a message')
  t.equal(named.items.filter((i) => i.mentions > 0).length, ROOMS / 25)
  t.equal(named.items.filter((i) => i.readSeq === 1 && i.unread === 1).length, ROOMS / 10)
  t.same(all.items, named.items, 'the same answer either way')
  t.equal(named.trips, 2, `named rooms: ${named.commands} commands in ${named.trips} round trips`)
  t.ok(all.trips <= 3, `all rooms: ${all.commands} commands in ${all.trips} round trips`)
})
