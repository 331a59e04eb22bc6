// The Store contract for moderation (src/store/store.ts), on every adapter: a room's bars (a
// kick's that runs out, a ban until lifted) and how join honours them, a kick racing a join,
// direct rooms hidden by a member, and the audit log (append, filters, newest first, keyset
// pages). Each suite gets two handles on the same data, as two instances have.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MongoClient } from 'mongodb'
import t, { type Test } from 'tap'
import { newId } from '../../src/ids.ts'
import { openMongoStore } from '../../src/store/mongo/index.ts'
import type { AuditRecord, RoomRecord, UserSnapshot } from '../../src/store/records.ts'
import { openSqliteStore } from '../../src/store/sqlite/index.ts'
import type { Store } from '../../src/store/store.ts'
import { isolatedMongoUrl, mongoUrl, needServer } from '../helpers/servers.ts'

const person = (name = `u${Math.random().toString(36).slice(2, 8)}`): UserSnapshot => ({
  id: newId(),
  username: name,
  displayName: name,
})

const room = (extra: Partial<RoomRecord> = {}): RoomRecord => ({
  id: newId(),
  name: 'Lobby',
  description: '',
  creator: person('creator'),
  maxMembers: 100,
  memberCount: 1,
  createdAt: new Date(),
  ...extra,
})

const entry = (
  actor: UserSnapshot,
  action: AuditRecord['action'],
  target: AuditRecord['target'],
  at = new Date(),
): AuditRecord => ({
  id: newId(),
  at,
  actor: { id: actor.id, username: actor.username },
  action,
  target,
  details: { note: 'détails ✓', minutes: 5 },
})

const minutes = (n: number) => new Date(Date.now() + n * 60_000)

function contract(name: string, open: (t: Test) => Promise<[Store, Store] | null>) {
  t.test(`${name} store: moderation and audit`, async (t) => {
    const handles = await open(t)
    if (!handles) return
    const [store, other] = handles
    const mod = person('mod')

    t.test("a kick's bar: the membership ends, join is barred until it runs out", async (t) => {
      const r = room()
      await store.rooms.create(r)
      const u = person()
      t.equal(await store.rooms.join(r.id, u.id, new Date()), 'joined')
      const until = minutes(10)
      const e = entry(mod, 'room.kick', { id: u.id, username: u.username })
      t.equal(await store.rooms.exclude(r.id, u.id, { kind: 'kick', until }, e), true)
      t.equal(await other.rooms.isMember(r.id, u.id), false)
      t.equal((await other.rooms.get(r.id))?.memberCount, 1, 'counted')
      t.same(await other.rooms.barOf(r.id, u.id, new Date()), { kind: 'kick', until })
      t.equal(await other.rooms.join(r.id, u.id, new Date()), 'barred')
      t.equal(await other.rooms.isMember(r.id, u.id), false)
      t.equal(await other.rooms.barOf(r.id, u.id, minutes(11)), null, 'run out')
      t.equal(await other.rooms.join(r.id, u.id, minutes(11)), 'joined', 'welcome back once it ran out')
      t.same(
        (await other.audit.list({ target: u.id, limit: 10, after: null })).map((x) => x.id),
        [e.id],
        'the entry was written with it',
      )
    })

    t.test('a ban holds until lifted; lifting twice is false, with no second entry', async (t) => {
      const r = room()
      await store.rooms.create(r)
      const u = person()
      t.equal(
        await store.rooms.exclude(r.id, u.id, { kind: 'ban', until: null }, entry(mod, 'room.ban', null)),
        false,
        'banned without being a member',
      )
      t.same(await other.rooms.barOf(r.id, u.id, minutes(60 * 24 * 365)), { kind: 'ban', until: null })
      t.equal(await other.rooms.join(r.id, u.id, new Date()), 'barred')
      // A kick's bar beside the ban does not shorten it.
      await store.rooms.exclude(
        r.id,
        u.id,
        { kind: 'kick', until: minutes(1) },
        entry(mod, 'room.kick', null),
      )
      t.same(await other.rooms.barOf(r.id, u.id, minutes(2)), { kind: 'ban', until: null })
      const lift = entry(mod, 'room.unban', { id: u.id, username: u.username })
      t.equal(await other.rooms.unbar(r.id, u.id, lift), true)
      t.equal(await store.rooms.barOf(r.id, u.id, new Date()), null)
      t.equal(await store.rooms.unbar(r.id, u.id, entry(mod, 'room.unban', null)), false)
      t.same(
        (await store.audit.list({ action: 'room.unban', actor: mod.id, limit: 10, after: null })).filter(
          (x) => x.target?.id === u.id || x.target === null,
        ).length,
        1,
        'one entry: the lift that lifted something',
      )
      t.equal(await store.rooms.join(r.id, u.id, new Date()), 'joined')
    })

    t.test('a removal without a bar: join again at once', async (t) => {
      const r = room()
      await store.rooms.create(r)
      const u = person()
      await store.rooms.join(r.id, u.id, new Date())
      t.equal(await store.rooms.exclude(r.id, u.id, null, entry(mod, 'room.kick', null)), true)
      t.equal(await other.rooms.join(r.id, u.id, new Date()), 'joined')
    })

    t.test('joins racing a ban from the other handle leave no membership behind', async (t) => {
      const r = room()
      await store.rooms.create(r)
      const users = Array.from({ length: 6 }, () => person())
      await Promise.all(
        users.flatMap((u) => [
          store.rooms.join(r.id, u.id, new Date()),
          other.rooms.exclude(r.id, u.id, { kind: 'ban', until: null }, entry(mod, 'room.ban', null)),
        ]),
      )
      for (const u of users) t.equal(await store.rooms.isMember(r.id, u.id), false, 'banned and out')
      t.equal((await other.rooms.get(r.id))?.memberCount, 1)
    })

    t.test('a hidden direct room is listed again by the first message after', async (t) => {
      const [ann, bob] = [person('ann'), person('bob')]
      const dm = await store.rooms.openDm({
        ...room({ creator: ann, maxMembers: 2, memberCount: 2, kind: 'dm' }),
        dm: [ann.id, bob.id].sort() as [string, string],
      })
      const mine = async (s: Store, who: UserSnapshot) =>
        (await s.rooms.list({ memberOf: who.id, limit: 10, after: null })).some((x) => x.id === dm.id)
      const first = await store.messages.append({
        id: newId(),
        roomId: dm.id,
        kind: 'text',
        from: bob,
        text: 'hi',
        file: null,
        clientMsgId: null,
        createdAt: new Date(),
      })
      t.equal(await other.rooms.hide(dm.id, ann.id, first.message.seq), true)
      t.equal(await mine(store, ann), false, 'hidden for ann')
      t.equal(await mine(other, bob), true, 'bob still has it')
      t.equal(await store.rooms.isMember(dm.id, ann.id), true, 'ann is still a member')
      t.equal(await store.rooms.hide(dm.id, person().id, 1), false, 'not a member')
      await other.messages.append({
        id: newId(),
        roomId: dm.id,
        kind: 'text',
        from: bob,
        text: 'still there?',
        file: null,
        clientMsgId: null,
        createdAt: new Date(),
      })
      t.equal(await mine(store, ann), true, 'a new message brings it back')
      t.equal(await store.rooms.hide(dm.id, ann.id, await store.messages.lastSeq(dm.id)), true)
      t.equal(await mine(other, ann), false)
      await store.rooms.unhide(dm.id, ann.id)
      t.equal(await mine(other, ann), true, 'opened again')
    })

    t.test('audit: newest first, filtered, in keyset pages, details and snapshots as written', async (t) => {
      const [a, b] = [person('a'), person('b')]
      const target = person('victim')
      const base = Date.now() - 3_600_000
      const written: AuditRecord[] = []
      // Two entries share a millisecond: the id orders them.
      const times = [0, 1000, 1000, 2000, 3000, 4000, 5000]
      for (const [i, dt] of times.entries()) {
        const e = entry(
          i % 2 ? b : a,
          i % 3 ? 'room.mute' : 'user.role',
          i === 4 ? { id: newId(), name: 'Salon ☕' } : { id: target.id, username: target.username },
          new Date(base + dt),
        )
        written.push(e)
        await (i % 2 ? other : store).audit.append(e)
      }
      const newest = [...written].sort((x, y) => y.at.getTime() - x.at.getTime() || (y.id < x.id ? -1 : 1))
      const all = await other.audit.list({ actor: a.id, limit: 100, after: null })
      t.same(
        all.map((e) => e.id),
        newest.filter((e) => e.actor.id === a.id).map((e) => e.id),
      )
      t.same(
        all.find((e) => e.id === written[4]!.id),
        written[4],
        'stored as written, a room target too',
      )
      const pages: string[] = []
      let after: (string | number)[] | null = null
      for (;;) {
        const rows = await store.audit.list({ target: target.id, limit: 2, after })
        pages.push(...rows.slice(0, 2).map((e) => e.id))
        if (rows.length <= 2) break
        const last = rows[1]!
        after = [last.at.getTime(), last.id]
      }
      t.same(
        pages,
        newest.filter((e) => e.target?.id === target.id).map((e) => e.id),
        'pages of 2, nothing repeated or skipped',
      )
      t.same(
        (await store.audit.list({ actor: b.id, action: 'room.mute', limit: 100, after: null })).map(
          (e) => e.id,
        ),
        newest.filter((e) => e.actor.id === b.id && e.action === 'room.mute').map((e) => e.id),
        'filters combine',
      )
      t.same(await store.audit.list({ actor: newId(), limit: 10, after: null }), [])
      t.notOk('update' in store.audit || 'delete' in store.audit || 'remove' in store.audit, 'append-only')
    })

    t.test("deleting a room removes its bars, not the log's entries", async (t) => {
      const r = room()
      await store.rooms.create(r)
      const u = person()
      const e = entry(mod, 'room.ban', { id: u.id, username: u.username })
      await store.rooms.exclude(r.id, u.id, { kind: 'ban', until: null }, e)
      t.equal(await store.rooms.delete(r.id), true)
      t.equal(await other.rooms.barOf(r.id, u.id, new Date()), null)
      t.equal((await other.audit.list({ target: u.id, limit: 10, after: null }))[0]?.id, e.id)
    })
  })
}

contract('sqlite', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'store-moderation-'))
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
