// The Store contract for safety (src/store/store.ts), on every adapter: blocks (idempotent,
// newest first, the limit), reports (one open report per reporter and message, also when two
// handles race; a decided one frees it), keyset pages newest first with their filters, and the
// conditional decision (of two racing, one wins) and reopening. Two handles on the same data,
// as two instances have.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MongoClient } from 'mongodb'
import t, { type Test } from 'tap'
import { newId } from '../../src/ids.ts'
import { openMongoStore } from '../../src/store/mongo/index.ts'
import { CLAIM_STALE_MS } from '../../src/store/mongo/reports.ts'
import type { ReportRecord } from '../../src/store/records.ts'
import { openSqliteStore } from '../../src/store/sqlite/index.ts'
import type { Store } from '../../src/store/store.ts'
import { isolatedMongoUrl, mongoUrl, needServer } from '../helpers/servers.ts'

const ref = (name: string) => ({ id: newId(), username: name })

const report = (extra: Partial<ReportRecord> = {}): ReportRecord => {
  const author = ref('author')
  return {
    id: newId(),
    status: 'open',
    reason: 'spam',
    note: 'note ✓',
    reporter: ref('reporter'),
    room: { id: newId(), name: 'Lobby' },
    roomCreatorId: newId(),
    message: {
      seq: 3,
      kind: 'text',
      from: { ...author, displayName: 'Author' },
      text: 'buy now',
      file: null,
      createdAt: new Date(Date.now() - 1000),
      editedAt: null,
    },
    createdAt: new Date(),
    decidedBy: null,
    decision: null,
    ...extra,
  }
}

function contract(name: string, open: (t: Test) => Promise<[Store, Store] | null>) {
  t.test(`${name} store: blocks and reports`, async (t) => {
    const handles = await open(t)
    if (!handles) return
    const [store, other] = handles

    t.test('blocks: idempotent, newest first, seen from the other handle, removable, bounded', async (t) => {
      const [u, a, b, c] = [newId(), newId(), newId(), newId()]
      t.equal(await store.blocks.add(u, a, new Date(1000), 3), 'added')
      t.equal(await other.blocks.add(u, a, new Date(2000), 3), 'already')
      t.equal(await other.blocks.add(u, b, new Date(3000), 3), 'added')
      t.same(await store.blocks.list(u), [b, a], 'newest first')
      t.same(await store.blocks.list(a), [], 'one way')
      const racing = await Promise.all([
        store.blocks.add(u, c, new Date(4000), 3),
        other.blocks.add(u, c, new Date(4000), 3),
      ])
      t.same(racing.sort(), ['added', 'already'], 'of two racing adds one is added')
      t.equal(await store.blocks.add(u, newId(), new Date(), 3), 'full')
      t.equal(
        await store.blocks.add(u, a, new Date(), 3),
        'already',
        'a block held is no new one, full or not',
      )
      t.equal(await other.blocks.remove(u, a), true)
      t.equal(await other.blocks.remove(u, a), false)
      t.same(await store.blocks.list(u), [c, b])
    })

    t.test('one open report per reporter and message, also when two handles race', async (t) => {
      const first = report()
      const same = { ...first, room: first.room, message: first.message, reporter: first.reporter }
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => (i % 2 ? other : store).reports.create({ ...same, id: newId() })),
      )
      t.equal(results.filter((r) => r === 'created').length, 1, 'exactly one created')
      const another = report({ reporter: ref('someone else'), room: first.room, message: first.message })
      t.equal(await store.reports.create(another), 'created', 'another reporter of the same message')
      const otherSeq = { ...same, id: newId(), message: { ...first.message, seq: 4 } }
      t.equal(await store.reports.create(otherSeq), 'created', 'another message')
    })

    t.test(
      'deciding: conditional on open, one of two racing wins, and a decided one frees the message',
      async (t) => {
        const r = report()
        t.equal(await store.reports.create(r), 'created')
        const by = ref('mod')
        const at = new Date()
        const [x, y] = await Promise.all([
          store.reports.decide(r.id, by, { status: 'resolved', action: 'delete', at }),
          other.reports.decide(r.id, ref('mod2'), { status: 'dismissed', action: null, at }),
        ])
        t.equal([x, y].filter((d) => d !== null).length, 1, 'one decision wins')
        const won = (x ?? y)!
        t.same(await other.reports.get(r.id), won, 'stored as answered')
        t.equal(
          await store.reports.decide(r.id, by, { status: 'resolved', action: null, at }),
          null,
          'decided already',
        )
        t.equal(
          await store.reports.decide(newId(), by, { status: 'resolved', action: null, at }),
          null,
          'no such report',
        )
        t.equal(await store.reports.decide('nope', by, { status: 'resolved', action: null, at }), null)
        t.same(won.message, r.message, 'the message as reported')
        const again = { ...r, id: newId() }
        t.equal(await other.reports.create(again), 'created', 'the reporter may report it again once decided')
        t.equal(await store.reports.reopen(r.id, won.decision!), false, 'its open report holds the message')
        const lone = report()
        await store.reports.create(lone)
        const d = { status: 'resolved' as const, action: 'mute' as const, at: new Date() }
        t.ok(await store.reports.decide(lone.id, by, d))
        t.equal(
          await other.reports.reopen(lone.id, { ...d, at: new Date(d.at.getTime() + 1) }),
          false,
          'another decision',
        )
        t.equal(await other.reports.reopen(lone.id, d), true)
        t.match(await store.reports.get(lone.id), { status: 'open', decidedBy: null, decision: null })
        t.equal(await store.reports.create({ ...lone, id: newId() }), 'duplicate', 'open again: unique again')
      },
    )

    t.test('pages: newest first, by status and by room creator, nothing repeated or skipped', async (t) => {
      const creator = newId()
      const made: ReportRecord[] = []
      for (let i = 0; i < 7; i++) {
        const r = report({ roomCreatorId: i < 5 ? creator : newId() })
        made.push(r)
        await (i % 2 ? other : store).reports.create(r)
      }
      await store.reports.decide(made[1]!.id, ref('mod'), {
        status: 'dismissed',
        action: null,
        at: new Date(),
      })
      const mine = made
        .slice(0, 5)
        .map((r) => r.id)
        .reverse()
      const seen: string[] = []
      let after: [string] | null = null
      for (;;) {
        const rows = await other.reports.list({ roomCreator: creator, limit: 2, after })
        seen.push(...rows.slice(0, 2).map((r) => r.id))
        if (rows.length <= 2) break
        after = [rows[1]!.id]
      }
      t.same(seen, mine, 'newest first, every one once')
      t.same(
        (await store.reports.list({ roomCreator: creator, status: 'open', limit: 10, after: null })).map(
          (r) => r.id,
        ),
        mine.filter((id) => id !== made[1]!.id),
      )
      t.same(
        (await store.reports.list({ roomCreator: creator, status: 'dismissed', limit: 10, after: null })).map(
          (r) => r.id,
        ),
        [made[1]!.id],
      )
      const all = await store.reports.list({ limit: 200, after: null })
      t.ok(all.length >= 7 + 3)
      const ids = all.map((r) => r.id)
      t.same(ids, [...ids].sort().reverse(), 'newest first')
    })
  })
}

contract('sqlite', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'store-safety-'))
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

// MongoDB alone claims a decision in a collection of its own: a claim left by a decider that
// died before writing its decision must not leave the report undecidable for ever.
t.test('mongodb store: a stale decision claim is taken over, a fresh one is not', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl)) return
  const url = isolatedMongoUrl(mongoUrl)
  const store = await openMongoStore(url)
  const client = new MongoClient(url)
  t.teardown(async () => {
    await store.close()
    await client.db().dropDatabase()
    await client.close()
  })
  const claims = client.db().collection<{ _id: string; by: string; at: Date }>('report_claims')
  const decider = ref('decider')
  const decision = () => ({ status: 'resolved' as const, action: null, at: new Date() })

  const stale = report()
  t.equal(await store.reports.create(stale), 'created')
  await claims.insertOne({ _id: stale.id, by: newId(), at: new Date(Date.now() - CLAIM_STALE_MS - 1000) })
  const decided = await store.reports.decide(stale.id, decider, decision())
  t.equal(decided?.status, 'resolved', 'the stale claim gave way')
  t.equal((await claims.findOne({ _id: stale.id }))?.by, decider.id, 'the claim is the new decider’s')

  const fresh = report()
  t.equal(await store.reports.create(fresh), 'created')
  await claims.insertOne({ _id: fresh.id, by: newId(), at: new Date(Date.now() - 1000) })
  t.equal(await store.reports.decide(fresh.id, decider, decision()), null, 'a claim in progress holds')
  t.equal((await store.reports.get(fresh.id))?.status, 'open')
})
