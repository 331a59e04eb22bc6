// The Store contract for reaching people who are away (src/store/notify-store.ts), on every
// adapter, with two handles on the same data as two instances have: one subscription per
// endpoint, settings and their defaults, single-use tokens (one of many concurrent uses wins),
// mail address claims, and the job queue: ids that dedupe forever, leases that one claimer holds
// at a time (two handles claiming at once never share a job), lapsed leases taken over, retries,
// grouped entries, stats and purge.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MongoClient } from 'mongodb'
import t, { type Test } from 'tap'
import { newId } from '../../src/ids.ts'
import { openMongoStore } from '../../src/store/mongo/index.ts'
import type { JobRecord, NewJob } from '../../src/store/notify-records.ts'
import { openSqliteStore } from '../../src/store/sqlite/index.ts'
import type { Store } from '../../src/store/store.ts'
import { isolatedMongoUrl, mongoUrl, needServer } from '../helpers/servers.ts'

const at = (ms: number) => new Date(Date.UTC(2030, 0, 1) + ms)
const job = (id: string, dueAt: Date, extra: Partial<NewJob> = {}): NewJob => ({
  id,
  kind: 'event',
  dueAt,
  payload: { room: newId(), seq: 1, text: 'héllo ✓', list: [1, 2] },
  ...extra,
})

function contract(name: string, open: (t: Test) => Promise<[Store, Store] | null>) {
  t.test(`${name} store: notifications`, async (t) => {
    const handles = await open(t)
    if (!handles) return
    const [store, other] = handles

    t.test('push subscriptions: one per endpoint, the same id when stored again', async (t) => {
      const user = newId()
      const endpoint = `https://push.example/${newId()}`
      const sub = { id: newId(), userId: user, endpoint, p256dh: 'k1', auth: 'a1', createdAt: new Date() }
      const [a, b] = await Promise.all([
        store.pushSubscriptions.upsert(sub),
        other.pushSubscriptions.upsert({ ...sub, id: newId(), p256dh: 'k2', auth: 'a2' }),
      ])
      t.equal(a, b, 'two stores of one endpoint at once: one subscription')
      const mine = await other.pushSubscriptions.ofUser(user)
      t.equal(mine.length, 1)
      t.equal(mine[0]!.endpoint, endpoint)
      // Moved to another user (a shared browser signed in as someone else): keys and user follow.
      const someone = newId()
      t.equal(await store.pushSubscriptions.upsert({ ...sub, id: newId(), userId: someone, p256dh: 'k3' }), a)
      t.same(await store.pushSubscriptions.ofUser(user), [])
      t.equal((await other.pushSubscriptions.get(a))?.p256dh, 'k3')
      t.equal(await store.pushSubscriptions.remove(a, user), false, "not removed as another user's")
      t.equal(await store.pushSubscriptions.remove(a, someone), true)
      t.equal(await other.pushSubscriptions.remove(a), false)
      t.equal(await other.pushSubscriptions.get(a), null)
      t.equal(await other.pushSubscriptions.get('not-an-id'), null)
    })

    t.test('settings: defaults, patches, rooms at all', async (t) => {
      const user = newId()
      const room = newId()
      const quiet = newId()
      t.same(await store.notifySettings.get(user), { userId: user, push: true, email: 'off', rooms: {} })
      await store.notifySettings.update(user, { rooms: { [room]: 'all', [quiet]: 'none' } })
      const s = await other.notifySettings.update(user, { email: 'digest' })
      t.same(s, { userId: user, push: true, email: 'digest', rooms: { [room]: 'all', [quiet]: 'none' } })
      t.ok((await other.notifySettings.roomsWithAll()).includes(room))
      t.same(await store.notifySettings.usersAt(room, 'all'), [user])
      const after = await store.notifySettings.update(user, { push: false, rooms: { [room]: 'mentions' } })
      t.same(after, { userId: user, push: false, email: 'digest', rooms: { [quiet]: 'none' } })
      t.notOk((await other.notifySettings.roomsWithAll()).includes(room))
      const nobody = newId()
      const many = await other.notifySettings.many([user, nobody, user])
      t.equal(many.length, 2)
      t.same(
        many.find((m) => m.userId === nobody),
        { userId: nobody, push: true, email: 'off', rooms: {} },
      )
    })

    t.test('tokens: single use, expiring, of their kind', async (t) => {
      const user = newId()
      const hash = `h${newId()}`
      await store.tokens.create({
        hash,
        kind: 'reset',
        userId: user,
        email: null,
        expiresAt: at(60_000),
        createdAt: at(0),
      })
      t.equal(await other.tokens.consume(hash, 'verify', at(1)), null, 'another kind does not take it')
      t.equal(await other.tokens.consume(hash, 'reset', at(60_000)), null, 'expired at its time')
      const uses = await Promise.all([
        ...Array.from({ length: 5 }, () => store.tokens.consume(hash, 'reset', at(1))),
        ...Array.from({ length: 5 }, () => other.tokens.consume(hash, 'reset', at(1))),
      ])
      t.equal(uses.filter(Boolean).length, 1, 'of ten concurrent uses, one')
      t.equal(uses.find(Boolean)?.userId, user)
      const second = `h${newId()}`
      await store.tokens.create({
        hash: second,
        kind: 'verify',
        userId: user,
        email: 'Ann@Example.org',
        expiresAt: at(9e9),
        createdAt: at(0),
      })
      t.equal((await other.tokens.consume(second, 'verify', at(1)))?.email, 'Ann@Example.org')
      const third = `h${newId()}`
      await store.tokens.create({
        hash: third,
        kind: 'reset',
        userId: user,
        email: null,
        expiresAt: at(9e9),
        createdAt: at(0),
      })
      await other.tokens.removeFor(user, 'reset')
      t.equal(await store.tokens.consume(third, 'reset', at(1)), null, 'removed with the others of the user')
    })

    t.test('mail addresses: one holder, compared case-insensitively', async (t) => {
      const address = `Ann.${newId()}@Example.org`
      const [a, b] = [newId(), newId()]
      const claims = await Promise.all([
        store.emails.claim(address, a),
        other.emails.claim(address.toLowerCase(), b),
      ])
      t.same([...claims].sort(), ['claimed', 'taken'])
      const holder = claims[0] === 'claimed' ? a : b
      const loser = holder === a ? b : a
      t.equal(await other.emails.owner(address.toUpperCase()), holder)
      t.equal(await store.emails.claim(address, holder), 'claimed', 'claiming again is fine')
      await store.emails.release(address, loser)
      t.equal(await other.emails.owner(address), holder, "another user's release does nothing")
      await store.emails.release(address, holder)
      t.equal(await other.emails.owner(address), null)
      t.equal(await other.emails.claim(address, loser), 'claimed')
    })

    t.test('jobs: an id is enqueued once, even after it is done', async (t) => {
      const id = `e:${newId()}`
      t.equal(await store.jobs.enqueue([job(id, at(0)), job(id, at(5))], at(0)), 1)
      t.equal(await other.jobs.enqueue([job(id, at(0)), job(`${id}b`, at(0))], at(0)), 1)
      const all = await store.jobs.claim('me', at(10), 1000, 10)
      const claimed = all.find((j) => j.id === id)
      t.ok(claimed)
      for (const j of all) if (j.id !== id) await store.jobs.finish(j.id, 'me', at(11))
      t.same(claimed!.payload.list, [1, 2])
      t.equal(claimed!.payload.text, 'héllo ✓')
      t.equal(claimed!.attempts, 1)
      t.equal(await store.jobs.finish(id, 'me', at(11)), true)
      t.equal(await other.jobs.enqueue([job(id, at(0))], at(20)), 0, 'done, and still refused')
      t.equal((await other.jobs.get(id))?.doneAt?.getTime(), at(11).getTime())
      t.equal((await other.jobs.purge(at(12))) >= 1, true)
      t.equal(await other.jobs.get(id), null, 'purged')
    })

    t.test('jobs: two claimers at once never share a job; leases lapse and are taken over', async (t) => {
      const ids = Array.from({ length: 30 }, (_, i) => `c:${newId()}:${i}`)
      await store.jobs.enqueue(
        ids.map((id, i) => job(id, at(i))),
        at(0),
      )
      await store.jobs.enqueue([job(`future:${newId()}`, at(10_000_000))], at(0))
      const now = at(1000)
      // Three claimers at once, each going on until it finds nothing due: as workers do.
      const drain = async (handle: Store, owner: string) => {
        const mine: JobRecord[] = []
        for (;;) {
          const got = await handle.jobs.claim(owner, now, 60_000, 12)
          if (got.length === 0) return mine
          mine.push(...got)
        }
      }
      const rounds = await Promise.all([drain(store, 'a'), drain(other, 'b'), drain(store, 'c')])
      const got = rounds.flat().map((j) => j.id)
      t.equal(new Set(got).size, got.length, 'no job claimed twice')
      t.equal(got.length, 30, 'every due job claimed once')
      t.same(await other.jobs.claim('d', at(2000), 60_000, 50), [], 'held by their leases')
      t.ok(
        rounds[0]!.every((j, i, all) => i === 0 || all[i - 1]!.dueAt <= j.dueAt),
        'oldest due first',
      )
      const first = rounds.flat()[0]!
      const firstOwner = first.owner!
      t.equal(await other.jobs.finish(first.id, 'not-the-owner', now), false)
      // The claimers die: their leases lapse and 'd' takes them over.
      const later = new Date(now.getTime() + 60_001)
      const taken = await other.jobs.claim('d', later, 60_000, 50)
      t.same(
        taken.map((j) => j.id).sort(),
        rounds
          .flat()
          .map((j) => j.id)
          .sort(),
        'every lapsed lease taken over',
      )
      t.ok(taken.every((j) => j.attempts === 2 && j.owner === 'd'))
      t.equal(await store.jobs.finish(first.id, firstOwner, later), false, 'the lost lease cannot finish it')
      t.equal(await store.jobs.retry(first.id, 'd', at(5_000_000), { tried: 1 }), true)
      const again = await store.jobs.claim('e', at(5_000_000), 1000, 100)
      const retried = again.find((j) => j.id === first.id)
      t.same(retried?.payload, { tried: 1 }, 'a retry may carry a new payload')
      for (const j of [...taken, ...again]) await other.jobs.finish(j.id, j.owner!, later)
      const stats = await store.jobs.stats(at(0))
      t.ok(stats.depth >= 1, 'the future job is still queued')
      t.ok(stats.oldestDueAt)
    })

    t.test('jobs: grouped entries wait for their gatherer', async (t) => {
      const group = `digest:${newId()}`
      await store.jobs.enqueue(
        [1, 2, 3].map((i) => job(`${group}:${i}`, at(0), { kind: 'mail', group, payload: { i } })),
        at(0),
      )
      t.notOk(
        (await other.jobs.claim('x', at(1), 1000, 200)).some((j) => j.group === group),
        'entries are never claimed on their own',
      )
      const entries = await other.jobs.entries(group, 2)
      t.same(
        entries.map((e) => e.payload.i),
        [1, 2],
      )
      await other.jobs.finishEntries(
        entries.map((e) => e.id),
        at(2),
      )
      t.same(
        (await store.jobs.entries(group, 10)).map((e) => e.payload.i),
        [3],
      )
    })
  })
}

contract('sqlite', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'store-notify-'))
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
