// The Store contract (src/store/store.ts), run against every adapter.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MongoClient } from 'mongodb'
import t, { type Test } from 'tap'
import { newId } from '../../src/ids.ts'
import { openMongoStore } from '../../src/store/mongo/index.ts'
import type { CodeRecord, PostRecord, UserRecord } from '../../src/store/records.ts'
import { openSqliteStore } from '../../src/store/sqlite/index.ts'
import type { Store } from '../../src/store/store.ts'
import { isolatedMongoUrl, mongoUrl, needServer } from '../helpers/servers.ts'

const user = (username: string, extra: Partial<UserRecord> = {}): UserRecord => ({
  id: newId(),
  username,
  displayName: username,
  bio: '',
  role: 'user',
  passwordHash: 'hash',
  theme: { mode: 'system' },
  vipExpiresAt: null,
  totpSecret: null,
  totpPending: null,
  banned: false,
  createdAt: new Date(),
  email: null,
  emailVerified: false,
  avatar: null,
  kind: 'user',
  invitedBy: null,
  inviteCode: null,
  mutedUntil: null,
  ...extra,
})

const code = (extra: Partial<CodeRecord> = {}): CodeRecord => ({
  id: newId(),
  type: 'invite',
  hash: newId() + newId(),
  hint: 'ABCD',
  maxUses: 1,
  uses: 0,
  vipDays: null,
  grantsAdmin: false,
  expiresAt: null,
  revokedAt: null,
  createdBy: null,
  createdAt: new Date(),
  ...extra,
})

const DAY = 86_400_000

const post = (wall: string, authorId: string, extra: Partial<PostRecord> = {}): PostRecord => ({
  id: newId(),
  wall,
  authorId,
  text: 'hello',
  createdAt: new Date(),
  ...extra,
})

function contract(name: string, open: (t: Test) => Promise<Store | null>) {
  t.test(`${name} store`, async (t) => {
    const store = await open(t)
    if (!store) return

    t.test('users: create, get, case-insensitive unique username, update', async (t) => {
      const u = user('Alice_1')
      t.equal(await store.users.create(u), 'created')
      t.same((await store.users.get(u.id))?.username, 'Alice_1')
      t.same((await store.users.getByUsername('alice_1'))?.id, u.id)
      const clash = user('ALICE_1')
      t.equal(await store.users.create(clash), 'taken', 'the same name in other case is taken')
      t.equal(await store.users.get(clash.id), null, 'and nothing was stored')
      const updated = (await store.users.update(u.id, {
        displayName: 'Ålice 🌸',
        theme: { mode: 'dark', accent: '#ff0000' },
      })) as UserRecord | null
      t.equal(updated?.displayName, 'Ålice 🌸')
      t.same(updated?.theme, { mode: 'dark', accent: '#ff0000' })
      t.equal(await store.users.update(newId(), { bio: 'x' }), null)
      t.equal(await store.users.get(newId()), null)
      t.equal(await store.users.get('not-an-id'), null)
    })

    t.test('users: of concurrent creates of one username exactly one is created', async (t) => {
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.users.create(user(i % 2 ? 'Racer' : 'racer'))),
      )
      t.equal(results.filter((r) => r === 'created').length, 1)
      t.equal(results.filter((r) => r === 'taken').length, 9)
    })

    t.test('users: concurrent VIP extensions all count', async (t) => {
      const u = user('vipper')
      await store.users.create(u)
      const now = new Date()
      await Promise.all(Array.from({ length: 10 }, () => store.users.extendVip(u.id, 3, now)))
      const after = await store.users.get(u.id)
      t.equal(after?.vipExpiresAt?.getTime(), now.getTime() + 30 * DAY)
      // An expired VIP restarts from now, not from the old expiry.
      await store.users.update(u.id, {})
      const past = new Date(now.getTime() + 100 * DAY)
      const renewed = await store.users.extendVip(u.id, 1, past)
      t.equal(renewed?.vipExpiresAt?.getTime(), past.getTime() + DAY)
    })

    t.test('users: swapAvatar hands each replaced avatar to exactly one caller', async (t) => {
      const u = user('avatared')
      await store.users.create(u)
      t.equal((await store.users.get(u.id))?.avatar ?? null, null, 'none at first')
      const first = await store.users.swapAvatar(u.id, 'a'.repeat(24))
      t.same([first?.previous, first?.user.avatar], [null, 'a'.repeat(24)])
      t.equal((await store.users.get(u.id))?.avatar, 'a'.repeat(24))
      const ids = Array.from({ length: 10 }, (_, i) => String(i).padStart(24, 'b'))
      const swaps = await Promise.all(ids.map((id) => store.users.swapAvatar(u.id, id)))
      const previous = swaps.map((s) => s?.previous)
      const last = (await store.users.get(u.id))?.avatar
      // Every id was replaced once (the first one included), except the one left in place.
      t.same(
        [...previous, last].sort(),
        ['a'.repeat(24), ...ids].sort(),
        'each replaced id is handed to one swap, and one is left',
      )
      t.same((await store.users.swapAvatar(u.id, null))?.previous, last)
      t.equal((await store.users.get(u.id))?.avatar, null)
      t.equal(await store.users.swapAvatar(newId(), 'c'.repeat(24)), null, 'no such user')
    })

    t.test('users: countAdmins counts admins who are not banned', async (t) => {
      const before = await store.users.countAdmins()
      const boss = user('boss', { role: 'admin' })
      await store.users.create(boss)
      t.equal(await store.users.countAdmins(), before + 1)
      await store.users.update(boss.id, { banned: true })
      t.equal(await store.users.countAdmins(), before, 'a banned admin does not count')
    })

    t.test('sessions: create, revoke, revoke all but one', async (t) => {
      const uid = newId()
      const now = new Date()
      const ids = [newId(), newId(), newId()]
      for (const id of ids)
        await store.sessions.create({
          id,
          userId: uid,
          createdAt: now,
          expiresAt: new Date(now.getTime() + DAY),
          revokedAt: null,
        })
      t.equal((await store.sessions.get(ids[0]!))?.userId, uid)
      t.equal(await store.sessions.revoke(ids[0]!, now), true)
      t.equal(await store.sessions.revoke(ids[0]!, now), false, 'already revoked')
      t.ok((await store.sessions.get(ids[0]!))?.revokedAt)
      t.same(await store.sessions.revokeAllForUser(uid, now, ids[1]), [ids[2]])
      t.equal((await store.sessions.get(ids[1]!))?.revokedAt, null)
      t.same(await store.sessions.revokeAllForUser(uid, now), [ids[1]])
    })

    t.test('codes: of 50 concurrent redemptions of a one-use code exactly one wins', async (t) => {
      const c = code()
      await store.codes.insertMany([c])
      const results = await Promise.all(
        Array.from({ length: 50 }, () => store.codes.redeem(c.hash, 'invite', new Date())),
      )
      t.equal(results.filter(Boolean).length, 1)
      t.equal((await store.codes.get(c.id))?.uses, 1)
    })

    t.test('codes: a 5-use code gives exactly 5 uses under concurrency', async (t) => {
      const c = code({ maxUses: 5 })
      await store.codes.insertMany([c])
      const results = await Promise.all(
        Array.from({ length: 20 }, () => store.codes.redeem(c.hash, 'invite', new Date())),
      )
      t.equal(results.filter(Boolean).length, 5)
    })

    t.test(
      'codes: expired, revoked and wrong-type codes do not redeem; release gives a use back',
      async (t) => {
        const now = new Date()
        const expired = code({ expiresAt: new Date(now.getTime() - 1000) })
        const revoked = code({ revokedAt: now })
        const activation = code({ type: 'activation', vipDays: 30 })
        await store.codes.insertMany([expired, revoked, activation])
        t.equal(await store.codes.redeem(expired.hash, 'invite', now), null)
        t.equal(await store.codes.redeem(revoked.hash, 'invite', now), null)
        t.equal(await store.codes.redeem(activation.hash, 'invite', now), null)
        const got = await store.codes.redeem(activation.hash, 'activation', now)
        t.equal(got?.vipDays, 30)
        t.equal(await store.codes.redeem(activation.hash, 'activation', now), null)
        await store.codes.release(activation.id)
        t.ok(await store.codes.redeem(activation.hash, 'activation', now), 'usable again after release')
        t.equal(await store.codes.revoke(activation.id, now), true)
        t.equal(await store.codes.revoke(newId(), now), false)
      },
    )

    t.test('codes: list by type and status, newest first, paged by id', async (t) => {
      const now = new Date()
      const fresh: CodeRecord[] = Array.from({ length: 7 }, () => code({ type: 'activation', vipDays: 7 }))
      await store.codes.insertMany(fresh)
      await store.codes.redeem(fresh[0]!.hash, 'activation', now)
      await store.codes.revoke(fresh[1]!.id, now)
      const first = await store.codes.list({
        type: 'activation',
        status: 'unused',
        now,
        limit: 2,
        after: null,
      })
      t.equal(first.length, 3, 'limit + 1 rows')
      const all: string[] = []
      let after: string | null = null
      for (;;) {
        const rows: CodeRecord[] = await store.codes.list({
          type: 'activation',
          status: 'unused',
          now,
          limit: 2,
          after: after ? [after] : null,
        })
        all.push(...rows.slice(0, 2).map((r) => r.id))
        if (rows.length <= 2) break
        after = rows[1]!.id
      }
      const expected = fresh
        .slice(2)
        .map((c) => c.id)
        .sort()
        .reverse()
      t.same(all, expected, 'every unused activation code once, newest first')
      const used = await store.codes.list({ type: 'activation', status: 'used', now, limit: 50, after: null })
      t.ok(used.some((c) => c.id === fresh[0]!.id))
      const revoked = await store.codes.list({ status: 'revoked', now, limit: 50, after: null })
      t.ok(revoked.some((c) => c.id === fresh[1]!.id))
      const expired = code({ expiresAt: new Date(now.getTime() - 1) })
      await store.codes.insertMany([expired])
      const exp = await store.codes.list({ status: 'expired', now, limit: 50, after: null })
      t.ok(exp.some((c) => c.id === expired.id))
      t.notOk(
        exp.some((c) => c.id === fresh[1]!.id || c.revokedAt),
        'revoked codes are listed as revoked only',
      )
    })

    t.test('posts: create, get, delete; text round-trips exactly', async (t) => {
      const text = 'Hello 👋🏽 — 美琳 𝄞 👨‍👩‍👧‍👦\n\tend'
      const p = post('home', newId(), { text })
      await store.posts.create(p)
      t.same(await store.posts.get(p.id), p)
      t.equal((await store.posts.get(p.id))?.text, text)
      t.equal(await store.posts.get(newId()), null)
      t.equal(await store.posts.get('not-an-id'), null)
      t.equal(await store.posts.delete(p.id), true)
      t.equal(await store.posts.delete(p.id), false, 'already gone')
      t.equal(await store.posts.delete('not-an-id'), false)
      t.equal(await store.posts.get(p.id), null)
    })

    t.test('posts: list one wall newest first, limit + 1 rows, paged by id', async (t) => {
      const wall = newId()
      const mine = Array.from({ length: 7 }, () => post(wall, newId()))
      await store.posts.insertMany(mine)
      await store.posts.insertMany([post('home', newId()), post(newId(), newId())])
      const first = await store.posts.list({ wall, limit: 3, after: null })
      t.equal(first.length, 4, 'limit + 1 rows')
      const seen: string[] = []
      let after: string | null = null
      for (;;) {
        const rows: PostRecord[] = await store.posts.list({ wall, limit: 3, after: after ? [after] : null })
        seen.push(...rows.slice(0, 3).map((r) => r.id))
        if (rows.length <= 3) break
        after = rows[2]!.id
      }
      const expected = mine
        .map((p) => p.id)
        .sort()
        .reverse()
      t.same(seen, expected, 'every post of the wall once, newest first, no other wall')
      t.same(await store.posts.list({ wall: newId(), limit: 5, after: null }), [])
      await store.posts.insertMany([])
    })

    t.test('users: getMany', async (t) => {
      const a = user('many_a')
      const b = user('many_b')
      await store.users.create(a)
      await store.users.create(b)
      const got = await store.users.getMany([a.id, b.id, newId(), 'not-an-id'])
      t.same(got.map((u) => u.username).sort(), ['many_a', 'many_b'])
      t.same(await store.users.getMany([]), [])
    })

    t.test('users: list by lowercased username, prefix search on username and display name', async (t) => {
      const made = [
        user('dir_Bob', { displayName: 'Robert' }),
        user('dir_alice', { displayName: 'Ålice Wonder' }),
        user('dir_Carol', { displayName: 'dir_zed' }),
        user('zz_dan', { displayName: 'Dir_Dan 🐉' }),
        user('dir_x.y', { displayName: 'dots' }),
        user('dirxay', { displayName: 'no dots' }),
        user('dir_100%', { displayName: 'percent' }),
        user('dir_1000', { displayName: 'plain' }),
        user('other', { displayName: 'in the middle dir_' }),
      ]
      for (const u of made) await store.users.create(u)
      const names = async (q: string, limit = 50) =>
        (await store.users.list({ q, limit, after: null })).map((u) => u.username)

      t.same(
        await names('DIR_'),
        ['dir_100%', 'dir_1000', 'dir_alice', 'dir_Bob', 'dir_Carol', 'dir_x.y', 'zz_dan'],
        'username or display name, any case, ordered by lowercased username, no match inside a word',
      )
      t.same(await names('ålice w'), ['dir_alice'], 'non-ASCII display names fold case too')
      t.same(await names('ÅLICE W'), ['dir_alice'])
      t.same(await names('dir_x.'), ['dir_x.y'], '"." is literal')
      t.same(await names('dir.'), [], '"." is not a wildcard')
      t.same(await names('dir_.*'), [], 'regex metacharacters are literal')
      t.same(await names('dir_100%'), ['dir_100%'], '"%" is literal')
      t.same(await names('dir_10%'), [], '"%" is not a wildcard')
      t.same(await names('dir_1_'), [], '"_" is not a wildcard')
      t.same(await names('dir%'), [])
      t.same(await names('d_r'), [])
      t.same(await names('(['), [])
      t.same(await names('robert'), ['dir_Bob'])
      t.same(await names('wonder'), [], 'a prefix only')

      // Paging with the key [usernameLower, id] visits every match once, in order.
      const all = await names('dir')
      const paged: string[] = []
      let after: [string, string] | null = null
      for (;;) {
        const rows: UserRecord[] = await store.users.list({ q: 'dir', limit: 2, after })
        paged.push(...rows.slice(0, 2).map((u) => u.username))
        if (rows.length <= 2) break
        after = [rows[1]!.username.toLowerCase(), rows[1]!.id]
      }
      t.same(paged, all)
      t.ok(all.length >= 8)
      const everyone = await store.users.list({ limit: 1000, after: null })
      const keys = everyone.map((u) => u.username.toLowerCase())
      t.same(keys, [...keys].sort(), 'without q: everyone, ordered')
    })

    t.test('users: the display name search follows updates', async (t) => {
      const u = user('renamer', { displayName: 'Before' })
      await store.users.create(u)
      t.same(
        (await store.users.list({ q: 'before', limit: 5, after: null })).map((x) => x.id),
        [u.id],
      )
      await store.users.update(u.id, { displayName: 'Ätsch After' })
      t.same(await store.users.list({ q: 'before', limit: 5, after: null }), [])
      t.same(
        (await store.users.list({ q: 'ätsch', limit: 5, after: null })).map((x) => x.id),
        [u.id],
      )
      t.same(
        Object.keys((await store.users.get(u.id))!).sort(),
        Object.keys(u).sort(),
        'no storage field leaks into the record',
      )
    })

    t.test('ping', async (t) => {
      await t.resolves(store.ping())
    })
  })
}

contract('sqlite', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'store-contract-'))
  const store = openSqliteStore(dir)
  t.teardown(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return store
})

contract('mongodb', async (t) => {
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
