// The Store contract for search and pins (src/store/store.ts: SearchStore, PinStore) on every
// adapter, through the search service (src/search/search.ts) that checks what the index found.
// Each suite gets two handles on the same data, as two instances have.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { MongoClient } from 'mongodb'
import t, { type Test } from 'tap'
import { newId } from '../../src/ids.ts'
import type { SearchQuery } from '../../src/schemas/search.ts'
import { SearchService } from '../../src/search/search.ts'
import { openMongoStore } from '../../src/store/mongo/index.ts'
import type { NewMessage, RoomRecord, UserSnapshot } from '../../src/store/records.ts'
import { openSqliteStore } from '../../src/store/sqlite/index.ts'
import type { Store } from '../../src/store/store.ts'
import { isolatedMongoUrl, mongoUrl, needServer } from '../helpers/servers.ts'

const person = (name = `u${Math.random().toString(36).slice(2, 8)}`): UserSnapshot => ({
  id: newId(),
  username: name,
  displayName: name,
})

const room = (creator: UserSnapshot, extra: Partial<RoomRecord> = {}): RoomRecord => ({
  id: newId(),
  name: 'Lobby',
  description: '',
  creator,
  maxMembers: 100,
  memberCount: 1,
  createdAt: new Date(),
  ...extra,
})

const message = (
  roomId: string,
  from: UserSnapshot,
  text: string,
  extra: Partial<NewMessage> = {},
): NewMessage => ({
  id: newId(),
  roomId,
  kind: 'text',
  from,
  text,
  file: null,
  clientMsgId: null,
  createdAt: new Date(),
  ...extra,
})

interface Handles {
  store: Store
  other: Store
  /** Makes the store forget every message's terms, as a store written before search was. */
  forget(): Promise<void>
}

function contract(name: string, open: (t: Test) => Promise<Handles | null>) {
  t.test(`${name} store: search and pins`, async (t) => {
    const handles = await open(t)
    if (!handles) return
    const { store, other, forget } = handles
    const search = new SearchService(other)
    const texts = async (user: string, q: string, extra: Partial<SearchQuery> = {}) =>
      (await search.search(user, { q, ...extra })).items.map((h) => h.message.text)

    const alice = person('alice')
    const bob = person('bob')
    const r = room(alice)
    await store.rooms.create(r)
    await store.rooms.join(r.id, bob.id, new Date())

    t.test('Chinese: any two characters of a message, in order; mixed with English', async (t) => {
      await store.messages.append(message(r.id, alice, '我们在聊天室见，then grab 咖啡'))
      await store.messages.append(message(r.id, alice, '天聊 is not it'))
      t.same(await texts(bob.id, '聊天'), ['我们在聊天室见，then grab 咖啡'])
      t.same(await texts(bob.id, '们在聊'), ['我们在聊天室见，then grab 咖啡'])
      t.same(await texts(bob.id, '聊天 grab'), ['我们在聊天室见，then grab 咖啡'])
      t.same(await texts(bob.id, '见'), ['我们在聊天室见，then grab 咖啡'], 'one character')
      t.same(await texts(bob.id, '聊'), ['天聊 is not it', '我们在聊天室见，then grab 咖啡'], 'newest first')
      const [hit] = (await search.search(bob.id, { q: '聊天' })).items
      t.same(hit?.highlights, [[3, 5]])
      t.match(hit?.room, { id: r.id, name: 'Lobby', kind: 'room' })
    })

    t.test('Latin: word prefixes, case- and accent-insensitive; every term', async (t) => {
      await store.messages.append(message(r.id, alice, 'Meet at the Cafeteria, Zoë'))
      await store.messages.append(message(r.id, alice, 'un café crème'))
      t.same(await texts(bob.id, 'café'), ['un café crème', 'Meet at the Cafeteria, Zoë'])
      t.same(await texts(bob.id, 'CAFE zoe'), ['Meet at the Cafeteria, Zoë'])
      t.same(await texts(bob.id, 'feteria'), [], 'not inside a word')
      t.same(await texts(bob.id, '"at the caf"'), ['Meet at the Cafeteria, Zoë'], 'a phrase')
      t.same(await texts(bob.id, '"the at"'), [])
    })

    t.test('edited messages by their new text only; deleted ones never', async (t) => {
      const { message: m } = await store.messages.append(message(r.id, alice, 'original wording 原来'))
      t.same(await texts(bob.id, 'original'), ['original wording 原来'])
      t.equal(await store.messages.edit(r.id, m.seq, 'revised wording 修改', [], new Date()), 'edited')
      t.same(await texts(bob.id, 'original'), [])
      t.same(await texts(bob.id, '原来'), [])
      t.same(await texts(bob.id, '修改'), ['revised wording 修改'])
      t.ok(await store.messages.remove(r.id, m.seq))
      t.same(await texts(bob.id, 'revised'), [])
      t.same(await texts(bob.id, 'wording'), [])
    })

    t.test('only the rooms the caller is a member of, at the time of the search', async (t) => {
      const carol = person('carol')
      const secret = room(carol, { name: 'Secret' })
      await store.rooms.create(secret)
      await store.messages.append(message(secret.id, carol, 'the treasure map 宝藏'))
      t.same(await texts(alice.id, 'treasure'), [], 'not a member')
      t.same(await texts(alice.id, '宝藏'), [])
      await store.rooms.join(secret.id, alice.id, new Date())
      t.same(await texts(alice.id, 'treasure'), ['the treasure map 宝藏'])
      await store.rooms.leave(secret.id, alice.id)
      t.same(await texts(alice.id, 'treasure'), [], 'left: nothing of that room')
      const dm = await store.rooms.openDm({
        ...room(carol, { name: '' }),
        kind: 'dm',
        dm: [bob.id, carol.id].sort() as [string, string],
      })
      await store.messages.append(message(dm.id, carol, 'a private treasure'))
      t.same(await texts(bob.id, 'treasure'), ['a private treasure'], 'a direct room of the caller')
      t.same(await texts(alice.id, 'treasure'), [], 'never a direct room of two others')
      t.same(await texts(bob.id, 'treasure', { room: r.id }), [], 'the room filter')
    })

    t.test('filters: person, file, dates', async (t) => {
      const f = room(alice, { name: 'Filters' })
      await store.rooms.create(f)
      await store.rooms.join(f.id, bob.id, new Date())
      const old = new Date(Date.now() - 3_600_000)
      await store.messages.append(message(f.id, alice, 'filterword from alice', { createdAt: old }))
      await store.messages.append(message(f.id, bob, 'filterword from bob'))
      await store.messages.append(
        message(f.id, bob, 'filterword.pdf', {
          kind: 'file',
          file: { id: newId(), name: 'filterword.pdf', size: 3, contentType: 'application/pdf' },
        }),
      )
      t.same(await texts(alice.id, 'filterword', { from: alice.id }), ['filterword from alice'])
      t.same(await texts(alice.id, 'filterword', { has: 'file' }), ['filterword.pdf'])
      const mid = new Date(Date.now() - 1_800_000).toISOString()
      t.same(await texts(alice.id, 'filterword', { before: mid }), ['filterword from alice'])
      t.same(await texts(alice.id, 'filterword', { after: mid, room: f.id }), [
        'filterword.pdf',
        'filterword from bob',
      ])
    })

    t.test('pages: newest first, a cursor resumes without repeats', async (t) => {
      const p = room(alice, { name: 'Pages' })
      await store.rooms.create(p)
      for (let i = 0; i < 7; i++) await store.messages.append(message(p.id, alice, `pageword ${i}`))
      const seen: string[] = []
      let cursor: string | undefined
      for (;;) {
        const page = await search.search(alice.id, { q: 'pageword', limit: 3, ...(cursor ? { cursor } : {}) })
        seen.push(...page.items.map((h) => h.message.text))
        if (!page.nextCursor) break
        cursor = page.nextCursor
      }
      t.same(
        seen,
        [6, 5, 4, 3, 2, 1, 0].map((i) => `pageword ${i}`),
      )
    })

    t.test('many messages: each found once, whether the index took it in yet or not', async (t) => {
      // Past the embedded store's FLUSH_AT (256): some in the FTS5 table, the newest above it.
      const bulk = room(alice, { name: 'Bulk' })
      await store.rooms.create(bulk)
      const stored = []
      for (let i = 0; i < 300; i++)
        stored.push((await store.messages.append(message(bulk.id, alice, `bulkword ${i} 批量`))).message)
      const all = async (q: string) => {
        const seen: string[] = []
        let cursor: string | undefined
        for (;;) {
          const page = await search.search(alice.id, {
            q,
            limit: 100,
            room: bulk.id,
            ...(cursor ? { cursor } : {}),
          })
          seen.push(...page.items.map((h) => h.message.text))
          if (!page.nextCursor) return seen
          cursor = page.nextCursor
        }
      }
      const found = await all('批量')
      t.equal(found.length, 300)
      t.equal(new Set(found).size, 300, 'none twice')
      t.equal(found[0], 'bulkword 299 批量', 'newest first')
      t.equal(found[299], 'bulkword 0 批量')
      const [first, second] = stored
      const [beforeLast, last] = stored.slice(-2)
      for (const m of [first!, last!])
        t.equal(
          await store.messages.edit(bulk.id, m.seq, `rewritten ${m.seq} 改写`, [], new Date()),
          'edited',
        )
      for (const m of [second!, beforeLast!]) t.ok(await store.messages.remove(bulk.id, m.seq))
      t.same(
        (await all('改写')).sort(),
        [`rewritten ${first!.seq} 改写`, `rewritten ${last!.seq} 改写`].sort(),
      )
      t.equal((await all('批量')).length, 296, 'edited and deleted ones are not found by their old text')
      for (let i = 0; i < 300; i++) await store.messages.append(message(bulk.id, alice, `bulkword more ${i}`))
      t.equal((await all('bulkword')).length, 596)
    })

    t.test('backfill: messages stored before search are found once indexed', async (t) => {
      const b = room(alice, { name: 'Old' })
      await store.rooms.create(b)
      for (let i = 0; i < 5; i++) await store.messages.append(message(b.id, alice, `oldword ${i} 旧的`))
      const { message: gone } = await store.messages.append(message(b.id, alice, 'oldword deleted'))
      await store.messages.remove(b.id, gone.seq)
      await forget()
      t.same(await texts(alice.id, 'oldword'), [], 'not indexed yet')
      let rounds = 0
      for (;;) {
        rounds++
        // Alternating handles: where it stands is in the store, not in the handle.
        const { done } = await (rounds % 2 ? store : other).search.backfill(2)
        if (done) break
      }
      t.ok(rounds >= 3, 'in batches')
      t.same(
        await texts(alice.id, '旧的', { room: b.id }),
        [4, 3, 2, 1, 0].map((i) => `oldword ${i} 旧的`),
      )
      await store.messages.append(message(b.id, alice, 'oldword 5 旧的'))
      t.equal((await texts(alice.id, 'oldword', { room: b.id }))[0], 'oldword 5 旧的', 'new ones still first')
      t.same(await store.search.backfill(10), { indexed: 0, done: true })
    })

    t.test('lease: one holder at a time, until it lapses or is released', async (t) => {
      const now = new Date()
      t.equal(await store.search.lease('job', 'a', 10_000, now), true)
      t.equal(await other.search.lease('job', 'b', 10_000, now), false)
      t.equal(await store.search.lease('job', 'a', 10_000, now), true, 'renewed')
      t.equal(await other.search.lease('job', 'b', 10_000, new Date(now.getTime() + 11_000)), true, 'lapsed')
      await other.search.release('job', 'b')
      const racers = await Promise.all(
        ['c', 'd', 'e'].map((h, i) => (i % 2 ? store : other).search.lease('race', h, 10_000, now)),
      )
      t.equal(racers.filter(Boolean).length, 1)
    })

    t.test('pins: idempotent, at most max, latest first', async (t) => {
      const p = room(alice, { name: 'Pins' })
      await store.rooms.create(p)
      const pin = (seq: number, at = new Date()) => ({ roomId: p.id, seq, pinnedBy: alice, pinnedAt: at })
      t.equal(await store.pins.pin(pin(1, new Date(1000)), 3), 'pinned')
      t.equal(await other.pins.pin(pin(1), 3), 'already')
      t.equal(await store.pins.pin(pin(2, new Date(2000)), 3), 'pinned')
      const racing = await Promise.all([3, 4, 5].map((s, i) => (i % 2 ? store : other).pins.pin(pin(s), 3)))
      t.equal(racing.filter((x) => x === 'pinned').length, 1, 'one of the racers past the limit')
      t.equal((await store.pins.list(p.id)).length, 3)
      t.equal(await store.pins.unpin(p.id, 1), true)
      t.equal(await store.pins.unpin(p.id, 1), false)
      const list = await other.pins.list(p.id)
      t.equal(list.length, 2)
      t.equal(list[1]?.seq, 2, 'latest first')
      t.match(list[1], { roomId: p.id, pinnedBy: alice, pinnedAt: new Date(2000) })
      await store.rooms.delete(p.id)
      t.same(await store.pins.list(p.id), [], 'gone with the room')
    })
  })
}

contract('sqlite', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'store-search-'))
  const a = openSqliteStore(dir)
  const b = openSqliteStore(dir)
  const raw = new Database(join(dir, 'chat.db'))
  t.teardown(async () => {
    raw.close()
    await a.close()
    await b.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return {
    store: a,
    other: b,
    async forget() {
      raw.exec('UPDATE messages SET search_id = NULL; DELETE FROM message_search;')
    },
  }
})

contract('mongodb', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl)) return null
  const url = isolatedMongoUrl(mongoUrl)
  const a = await openMongoStore(url)
  const b = await openMongoStore(url)
  const client = new MongoClient(url)
  t.teardown(async () => {
    await a.close()
    await b.close()
    await client.db().dropDatabase()
    await client.close()
  })
  return {
    store: a,
    other: b,
    async forget() {
      await client
        .db()
        .collection('messages')
        .updateMany({}, { $unset: { terms: '' } })
      await client.db().collection('search_state').deleteMany({})
    },
  }
})
