// Ids (src/ids.ts): valid ObjectIds that sort by creation time, and that no id tells the next:
// ids made back to back are far apart, unique and increasing under a burst, and both stores
// keep and find them.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MongoClient, ObjectId } from 'mongodb'
import t, { type Test } from 'tap'
import { newId } from '../src/ids.ts'
import { openMongoStore } from '../src/store/mongo/index.ts'
import type { PostRecord } from '../src/store/records.ts'
import { openSqliteStore } from '../src/store/sqlite/index.ts'
import type { Store } from '../src/store/store.ts'
import { isolatedMongoUrl, mongoUrl, needServer } from './helpers/servers.ts'

const value = (id: string) => BigInt(`0x${id}`)

t.test('ids made back to back do not differ by a small number', async (t) => {
  // bson's ObjectId differs by exactly 1 here. Ours differ in 40 random bits at least: a gap
  // below 2^24 (16M guesses) has a chance of about 2^-17 per pair.
  const gaps: bigint[] = []
  for (let i = 0; i < 1000; i++) {
    const a = newId()
    const b = newId()
    gaps.push(value(b) - value(a))
  }
  const small = gaps.filter((g) => g < 2n ** 24n && g > -(2n ** 24n))
  t.same(small, [], 'no two neighbours within 2^24 of each other')
  t.ok(new Set(gaps).size === gaps.length, 'and no two gaps alike: no fixed stride to follow')
})

t.test('a burst: unique, strictly increasing, timestamped with the current second', async (t) => {
  const before = Math.floor(Date.now() / 1000)
  const ids = Array.from({ length: 200_000 }, newId)
  const after = Math.floor(Date.now() / 1000)
  t.equal(new Set(ids).size, ids.length, 'unique')
  let increasing = true
  for (let i = 1; i < ids.length; i++) if (ids[i]! <= ids[i - 1]!) increasing = false
  t.ok(increasing, 'each id sorts after the one made before it (as text and as an ObjectId)')
  for (const id of [ids[0]!, ids.at(-1)!]) {
    t.match(id, /^[0-9a-f]{24}$/)
    t.ok(ObjectId.isValid(id))
    const seconds = new ObjectId(id).getTimestamp().getTime() / 1000
    t.ok(seconds >= before && seconds <= after + 1, 'its timestamp is its creation second')
  }
  // The random tails of the burst are not a sequence either.
  const tails = new Set(ids.map((id) => id.slice(14)))
  t.ok(tails.size > ids.length - 5, 'the last 5 bytes are drawn anew for each id')
})

function storeRoundTrip(name: string, open: (t: Test) => Promise<Store | null>) {
  t.test(`${name}: the store keeps ids, finds them, and lists them newest first`, async (t) => {
    const store = await open(t)
    if (!store) return
    const wall = newId()
    const posts: PostRecord[] = Array.from({ length: 20 }, (_, i) => ({
      id: newId(),
      wall,
      authorId: wall,
      text: `p${i}`,
      createdAt: new Date(),
    }))
    for (const p of posts) await store.posts.create(p)
    const page = await store.posts.list({ wall, limit: 50, after: null })
    t.same(
      page.map((p) => p.id),
      posts.map((p) => p.id).reverse(),
      'made in one second, still listed newest first',
    )
    const session = {
      id: newId(),
      userId: wall,
      createdAt: new Date(),
      expiresAt: new Date(Date.now() + 60_000),
    }
    await store.sessions.create({ ...session, revokedAt: null })
    t.match(await store.sessions.get(session.id), { id: session.id, userId: wall })
  })
}

storeRoundTrip('sqlite', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ids-'))
  const store = openSqliteStore(dir)
  t.teardown(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return store
})

storeRoundTrip('mongodb', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl)) return null
  const url = isolatedMongoUrl(mongoUrl)
  const store = await openMongoStore(url)
  t.teardown(async () => {
    await store.close()
    const client = new MongoClient(url)
    await client.db().dropDatabase()
    await client.close()
  })
  return store
})
