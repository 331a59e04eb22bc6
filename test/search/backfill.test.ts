// The search backfill (src/search/backfill.ts) on every store: messages stored before search
// existed are indexed once, in batches, by one runner at a time of those started on two handles
// of the same data (two instances), resumed by another after a stop, taken over when a holder's
// lease lapses; its progress is logged and counted in the metrics /metrics serves.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { MongoClient } from 'mongodb'
import t, { type Test } from 'tap'
import { newId } from '../../src/ids.ts'
import type { Logger } from '../../src/logger.ts'
import { createMetrics } from '../../src/metrics.ts'
import { BACKFILL_LEASE, SearchBackfill } from '../../src/search/backfill.ts'
import { SearchService } from '../../src/search/search.ts'
import { openMongoStore } from '../../src/store/mongo/index.ts'
import type { UserSnapshot } from '../../src/store/records.ts'
import { openSqliteStore } from '../../src/store/sqlite/index.ts'
import type { Store } from '../../src/store/store.ts'
import { isolatedMongoUrl, mongoUrl, needServer } from '../helpers/servers.ts'

interface Handles {
  a: Store
  b: Store
  /** Makes the store forget every message's terms (and where a backfill stood), as before search. */
  forget(): Promise<void>
}

const N = 25

function logger() {
  const lines: { msg: string; obj: Record<string, unknown> }[] = []
  const log = (obj: object | string, msg?: string) =>
    lines.push(typeof obj === 'string' ? { msg: obj, obj: {} } : { msg: msg ?? '', obj: obj as never })
  const l: Logger = { debug: log, info: log, warn: log, error: log }
  return { log: l, lines }
}

function suite(name: string, open: (t: Test) => Promise<Handles | null>) {
  t.test(`search backfill on ${name}`, async (t) => {
    const h = await open(t)
    if (!h) return
    // The runner's waits do not hold the process open (a server's sockets do): this test's do.
    const alive = setInterval(() => {}, 1000)
    t.teardown(() => clearInterval(alive))
    const alice: UserSnapshot = { id: newId(), username: 'alice', displayName: 'alice' }
    const roomId = newId()
    await h.a.rooms.create({
      id: roomId,
      name: 'Old',
      description: '',
      creator: alice,
      maxMembers: 10,
      memberCount: 1,
      createdAt: new Date(),
    })
    for (let i = 0; i < N; i++)
      await h.a.messages.append({
        id: newId(),
        roomId,
        kind: 'text',
        from: alice,
        text: `旧消息 old message ${i}`,
        file: null,
        clientMsgId: null,
        createdAt: new Date(),
      })
    const search = new SearchService(h.b)
    const found = async () => {
      let count = 0
      let cursor: string | undefined
      for (;;) {
        const page = await search.search(alice.id, { q: '旧消息', limit: 100, ...(cursor ? { cursor } : {}) })
        count += page.items.length
        if (!page.nextCursor) return count
        cursor = page.nextCursor
      }
    }
    const runner = (store: Store, options = {}) => {
      const metrics = createMetrics()
      const logs = logger()
      const r = new SearchBackfill(store, logs.log, metrics, { batch: 4, retryMs: 20, ...options })
      const indexed = async () => (await metrics.searchBackfilled.get()).values[0]?.value ?? 0
      return { r, metrics, logs, indexed }
    }

    t.test('two instances start it at once: one runs it, once, in batches', async (t) => {
      await h.forget()
      t.equal(await found(), 0, 'nothing found before the backfill')
      const [x, y] = [runner(h.a), runner(h.b)]
      x.r.start()
      y.r.start()
      await Promise.all([x.r.settled(), y.r.settled()])
      t.same(
        [await x.indexed(), await y.indexed()].sort((p, q) => p - q),
        [0, N],
        'one of them indexed all',
      )
      t.equal(await found(), N)
      const ran = (await x.indexed()) > 0 ? x : y
      const text = await ran.metrics.registry.metrics()
      t.match(text, new RegExp(`search_backfill_indexed_total ${N}\\b`))
      t.match(text, /search_backfill_done 1\b/)
      t.ok(
        ran.logs.lines.some((l) => l.msg === 'search backfill progress'),
        'progress logged',
      )
      t.match(
        ran.logs.lines.find((l) => l.msg === 'search backfill done'),
        { obj: { indexed: N } },
      )
      // A later start finds nothing to do and says it is done.
      const later = runner(h.a)
      later.r.start()
      await later.r.settled()
      t.equal(await later.indexed(), 0)
      t.match(await later.metrics.registry.metrics(), /search_backfill_done 1\b/)
    })

    t.test('stopped after a batch, another instance resumes where it stood', async (t) => {
      await h.forget()
      let calls = 0
      const first = runner({
        ...h.a,
        search: {
          ...h.a.search,
          backfill: async (batch: number) => {
            const r = await h.a.search.backfill(batch)
            if (++calls === 1) void first.r.stop()
            return r
          },
        },
      })
      first.r.start()
      await first.r.settled()
      t.equal(await first.indexed(), 4, 'one batch')
      t.equal(await found(), 4)
      const second = runner(h.b)
      second.r.start()
      await second.r.settled()
      t.equal(await second.indexed(), N - 4, 'the rest, nothing twice')
      t.equal(await found(), N)
    })

    t.test('a lease left by a lost instance lapses and another takes over', async (t) => {
      await h.forget()
      t.ok(await h.a.search.lease(BACKFILL_LEASE, 'lost-instance', 300, new Date()))
      const taker = runner(h.b)
      taker.r.start()
      await taker.r.settled()
      t.equal(await taker.indexed(), N)
      t.equal(await found(), N)
    })
  })
}

suite('sqlite', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'search-backfill-'))
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
    a,
    b,
    async forget() {
      raw.exec('UPDATE messages SET search_id = NULL; DELETE FROM message_search;')
    },
  }
})

suite('mongodb', async (t) => {
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
    a,
    b,
    async forget() {
      await client
        .db()
        .collection('messages')
        .updateMany({}, { $unset: { terms: '' } })
      await client.db().collection('search_state').deleteMany({})
    },
  }
})
