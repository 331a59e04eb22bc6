// The Store contract for outgoing integrations (src/store/store.ts), on every adapter, with two
// handles on the same data as two instances have: an integration with its cursors (kept, read
// back from the other handle, gone with it), cursors that only move forward and record
// failures, rooms without a cursor found for `"all"`, and the lease: of two handles racing for
// it exactly one wins, the holder renews it, another cannot take it until it runs out, then
// takes it over; a released lease is free at once.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MongoClient } from 'mongodb'
import t, { type Test } from 'tap'
import { newId } from '../../src/ids.ts'
import type { IntegrationRecord } from '../../src/store/integration-records.ts'
import { openMongoStore } from '../../src/store/mongo/index.ts'
import { openSqliteStore } from '../../src/store/sqlite/index.ts'
import type { Store } from '../../src/store/store.ts'
import { isolatedMongoUrl, mongoUrl, needServer } from '../helpers/servers.ts'

const integration = (extra: Partial<IntegrationRecord> = {}): IntegrationRecord => ({
  id: newId(),
  url: 'https://example.com/hook',
  secret: 'v1:sealed',
  rooms: [newId(), newId()],
  events: ['message', 'pin'],
  createdAt: new Date(),
  createdBy: { id: newId(), username: 'admin' },
  ...extra,
})

const room = (name: string, kind: 'room' | 'dm' = 'room') => {
  const creator = { id: newId(), username: `u${name}`, displayName: name }
  return {
    id: newId(),
    name,
    description: '',
    creator,
    memberCount: 1,
    maxMembers: 10,
    createdAt: new Date(),
    kind,
    ...(kind === 'dm' ? { dm: [creator.id, newId()].sort() as [string, string] } : {}),
  }
}

function contract(name: string, open: (t: Test) => Promise<[Store, Store] | null>) {
  t.test(`${name} store: integrations`, async (t) => {
    const handles = await open(t)
    if (!handles) return
    const [store, other] = handles

    t.test('an integration and its cursors, seen from the other handle, gone with it', async (t) => {
      const i = integration()
      const [r1, r2] = i.rooms as string[]
      await store.integrations.create(i, [
        { room: r1!, seq: 5 },
        { room: r2!, seq: 0 },
      ])
      t.same(await other.integrations.get(i.id), i)
      t.ok((await other.integrations.list()).some((x) => x.id === i.id))
      t.ok((await other.integrations.count()) >= 1)
      const byRoom = async (s: Store) =>
        Object.fromEntries((await s.integrations.cursors(i.id)).map((c) => [c.room, c]))
      t.match(await byRoom(other), {
        [r1!]: { integration: i.id, seq: 5, lastError: null, lastAttemptAt: null },
        [r2!]: { seq: 0 },
      })

      const at = new Date(Date.now() - 1000)
      await other.integrations.failed(i.id, r1!, 'HTTP 500', at)
      t.match((await byRoom(store))[r1!], { seq: 5, lastError: 'HTTP 500', lastAttemptAt: at })
      await store.integrations.advance(i.id, [{ room: r1!, seq: 9 }], new Date())
      t.match((await byRoom(other))[r1!], { seq: 9, lastError: null })
      await other.integrations.advance(i.id, [{ room: r1!, seq: 7 }], new Date())
      t.equal((await byRoom(store))[r1!]!.seq, 9, 'never moves back')
      // Many rooms in one call: each moves (forward only), a room without a cursor is ignored.
      const both = new Date()
      await other.integrations.advance(
        i.id,
        [
          { room: r1!, seq: 8 },
          { room: r2!, seq: 4 },
          { room: 'd'.repeat(24), seq: 3 },
        ],
        both,
      )
      t.match(await byRoom(store), {
        [r1!]: { seq: 9 },
        [r2!]: { seq: 4, lastError: null, lastAttemptAt: both },
      })
      t.notOk((await byRoom(store))['d'.repeat(24)], 'no cursor made for a room without one')
      await store.integrations.advance(i.id, [], new Date())

      await other.integrations.addCursors(i.id, [
        { room: r1!, seq: 0 },
        { room: 'c'.repeat(24), seq: 0 },
      ])
      t.equal((await byRoom(store))[r1!]!.seq, 9, 'an existing cursor is kept')
      t.equal((await byRoom(store))['c'.repeat(24)]!.seq, 0)

      t.equal(await other.integrations.delete(i.id), true)
      t.equal(await store.integrations.get(i.id), null)
      t.same(await store.integrations.cursors(i.id), [])
      t.equal(await store.integrations.delete(i.id), false)
    })

    t.test('rooms without a cursor: every room but direct rooms, until each has one', async (t) => {
      const [a, b, dm] = [room('a'), room('b'), room('dm', 'dm')]
      await store.rooms.create(a)
      await store.rooms.create(b)
      await store.rooms.openDm(dm as typeof dm & { dm: [string, string] })
      const i = integration({ rooms: 'all' })
      await store.integrations.create(i, [{ room: a.id, seq: 0 }])
      const without = await other.integrations.roomsWithout(i.id, 1000)
      t.ok(without.includes(b.id))
      t.notOk(without.includes(a.id), 'has a cursor')
      t.notOk(without.includes(dm.id), 'a direct room')
      await other.integrations.addCursors(i.id, [{ room: b.id, seq: 0 }])
      t.notOk((await store.integrations.roomsWithout(i.id, 1000)).includes(b.id))
    })

    t.test('the lease: one of two racing wins, renewed by its holder, taken over once run out', async (t) => {
      const id = newId()
      const now = Date.now()
      for (let round = 0; round < 5; round++) {
        const lease = newId()
        const won = await Promise.all([
          store.integrations.claim(lease, 'a', 10_000, new Date(now)),
          other.integrations.claim(lease, 'b', 10_000, new Date(now)),
          store.integrations.claim(lease, 'c', 10_000, new Date(now)),
          other.integrations.claim(lease, 'd', 10_000, new Date(now)),
        ])
        t.equal(won.filter(Boolean).length, 1, `exactly one of four wins (round ${round})`)
      }
      t.equal(await store.integrations.claim(id, 'a', 10_000, new Date(now)), true)
      t.equal(await other.integrations.claim(id, 'b', 10_000, new Date(now + 1000)), false, 'held')
      t.equal(await store.integrations.claim(id, 'a', 10_000, new Date(now + 3000)), true, 'renewed')
      t.equal(
        await other.integrations.claim(id, 'b', 10_000, new Date(now + 11_000)),
        false,
        'renewal counted',
      )
      // Run out: of two takers racing, one.
      const later = new Date(now + 14_000)
      const taken = await Promise.all([
        other.integrations.claim(id, 'b', 10_000, later),
        store.integrations.claim(id, 'c', 10_000, later),
      ])
      t.equal(taken.filter(Boolean).length, 1, 'one taker of the lapsed lease')
      const holder = taken[0] ? 'b' : 'c'
      t.equal(
        await store.integrations.claim(id, 'a', 10_000, new Date(now + 15_000)),
        false,
        'the old holder lost it',
      )
      await other.integrations.release(id, 'a')
      t.equal(
        await store.integrations.claim(id, 'a', 10_000, new Date(now + 15_000)),
        false,
        'not released by another',
      )
      await other.integrations.release(id, holder)
      t.equal(
        await store.integrations.claim(id, 'a', 10_000, new Date(now + 15_000)),
        true,
        'free once released',
      )
    })
  })
}

contract('sqlite', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'store-integrations-'))
  const a = openSqliteStore(dir)
  const b = openSqliteStore(dir)
  t.teardown(async () => {
    await a.close()
    await b.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return [a, b]
})

contract('mongodb', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl)) return null
  const url = isolatedMongoUrl(mongoUrl)
  const a = await openMongoStore(url)
  const b = await openMongoStore(url)
  t.teardown(async () => {
    await a.close()
    await b.close()
    const client = new MongoClient(url)
    await client.db().dropDatabase()
    await client.close()
  })
  return [a, b]
})
