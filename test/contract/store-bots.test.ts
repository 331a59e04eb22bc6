// The Store contract for integrations (src/store/store.ts), on every adapter: a user's kind
// (absent reads as 'user'), bots' tokens by session, and incoming webhooks: their cap per room
// holds when two handles race for the last places, a deletion frees a place, and a room's
// webhooks go with it. Two handles on the same data, as two instances have.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MongoClient } from 'mongodb'
import t, { type Test } from 'tap'
import { newId } from '../../src/ids.ts'
import { openMongoStore } from '../../src/store/mongo/index.ts'
import type { UserRecord, WebhookRecord } from '../../src/store/records.ts'
import { openSqliteStore } from '../../src/store/sqlite/index.ts'
import type { Store } from '../../src/store/store.ts'
import { isolatedMongoUrl, mongoUrl, needServer } from '../helpers/servers.ts'

const user = (username: string, extra: Partial<UserRecord> = {}): UserRecord => ({
  id: newId(),
  username,
  displayName: username,
  bio: '',
  role: 'user',
  passwordHash: '',
  theme: { mode: 'system' },
  vipExpiresAt: null,
  totpSecret: null,
  totpPending: null,
  banned: false,
  createdAt: new Date(),
  ...extra,
})

const hook = (roomId: string, name = 'hook'): WebhookRecord => ({
  id: newId(),
  roomId,
  name,
  secretHash: 'ab'.repeat(32),
  createdBy: { id: newId(), username: 'owner' },
  createdAt: new Date(),
})

function contract(name: string, open: (t: Test) => Promise<[Store, Store] | null>) {
  t.test(`${name} store: bots and webhooks`, async (t) => {
    const handles = await open(t)
    if (!handles) return
    const [store, other] = handles

    t.test("a user's kind: 'bot' kept, absent read as 'user'", async (t) => {
      const person = user('person1')
      const bot = user('robot1', { kind: 'bot' })
      t.equal(await store.users.create(person), 'created')
      t.equal(await store.users.create(bot), 'created')
      t.equal((await other.users.get(person.id))?.kind, 'user')
      t.equal((await other.users.get(bot.id))?.kind, 'bot')
      t.equal((await other.users.getByUsername('ROBOT1'))?.kind, 'bot')
      const updated = await other.users.update(bot.id, { bio: 'beep' })
      t.equal(typeof updated === 'object' && updated?.kind, 'bot', 'an update keeps it')
    })

    t.test('bot tokens: by session, seen from the other handle, bots listed once each', async (t) => {
      const [b1, b2, s1, s2, s3] = [newId(), newId(), newId(), newId(), newId()]
      await store.bots.putToken({ sessionId: s1, userId: b1, hash: 'h1', createdAt: new Date(1000) })
      await other.bots.putToken({ sessionId: s2, userId: b2, hash: 'h2', createdAt: new Date(2000) })
      await store.bots.putToken({ sessionId: s3, userId: b1, hash: 'h3', createdAt: new Date(3000) })
      t.match(await other.bots.token(s1), { sessionId: s1, userId: b1, hash: 'h1' })
      t.equal(await other.bots.token(newId()), null)
      t.equal(await other.bots.token('not-an-id'), null)
      const ids = await store.bots.botIds()
      t.same(
        ids.filter((id) => id === b1 || id === b2),
        [b1, b2],
        'oldest first, once each',
      )
    })

    t.test('webhooks: stored, listed oldest first, deleted', async (t) => {
      const room = newId()
      const [a, b] = [hook(room, 'a'), { ...hook(room, 'b'), createdAt: new Date(Date.now() + 1) }]
      t.equal(await store.webhooks.create(a, 3), 'created')
      t.equal(await other.webhooks.create(b, 3), 'created')
      t.match(await other.webhooks.get(a.id), { id: a.id, roomId: room, name: 'a', secretHash: a.secretHash })
      t.same(
        (await store.webhooks.list(room)).map((h) => h.name),
        ['a', 'b'],
      )
      t.equal(await store.webhooks.get(newId()), null)
      t.equal(await store.webhooks.get('nope'), null)
      t.equal(await other.webhooks.delete(a.id), true)
      t.equal(await store.webhooks.delete(a.id), false)
      t.equal(await store.webhooks.get(a.id), null)
    })

    t.test('the cap per room holds when two handles race; a deletion frees a place', async (t) => {
      const room = newId()
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 ? store : other).webhooks.create(hook(room, `h${i}`), 5)),
      )
      t.equal(results.filter((r) => r === 'created').length, 5, 'five created')
      t.equal(results.filter((r) => r === 'full').length, 3, 'three refused')
      const listed = await store.webhooks.list(room)
      t.equal(listed.length, 5)
      t.equal(await other.webhooks.create(hook(room), 5), 'full')
      await store.webhooks.delete(listed[2]!.id)
      t.equal(await other.webhooks.create(hook(room, 'again'), 5), 'created')
      t.equal(await other.webhooks.create(hook(room), 5), 'full')
      t.equal((await store.webhooks.list(newId())).length, 0, 'another room has none')
    })

    t.test("a room's webhooks go with it", async (t) => {
      const [room, kept] = [newId(), newId()]
      const h = hook(room)
      await store.webhooks.create(h, 5)
      await store.webhooks.create(hook(kept), 5)
      await other.webhooks.deleteByRoom(room)
      t.equal(await store.webhooks.get(h.id), null)
      t.equal((await store.webhooks.list(kept)).length, 1)
      t.equal(await store.webhooks.create(hook(room), 1), 'created', 'its places are free')
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
