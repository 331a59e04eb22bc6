// The Store contract for invitation lineage and freezes (src/store/store.ts), on every adapter:
// who invited whom, kept on create and found a level at a time for many ids at once; a freeze
// written on many users in one call (a ban, or a user-level mute); the sessions of many users
// revoked at once; the usable codes minted by or held for many users revoked at once, and a
// holder's codes listed. Two handles on the same data, as two instances have.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MongoClient } from 'mongodb'
import t, { type Test } from 'tap'
import { newId } from '../../src/ids.ts'
import { openMongoStore } from '../../src/store/mongo/index.ts'
import type { CodeRecord, UserRecord } from '../../src/store/records.ts'
import { openSqliteStore } from '../../src/store/sqlite/index.ts'
import type { Store } from '../../src/store/store.ts'
import { isolatedMongoUrl, mongoUrl, needServer } from '../helpers/servers.ts'

let n = 0
const user = (extra: Partial<UserRecord> = {}): UserRecord => {
  const name = `lin${process.pid % 1000}x${n++}`
  return {
    id: newId(),
    username: name,
    displayName: name,
    bio: '',
    role: 'user',
    passwordHash: 'x',
    theme: { mode: 'system' },
    vipExpiresAt: null,
    totpSecret: null,
    totpPending: null,
    banned: false,
    createdAt: new Date(),
    avatar: null,
    ...extra,
  }
}

const code = (extra: Partial<CodeRecord> = {}): CodeRecord => ({
  id: newId(),
  type: 'invite',
  hash: `h${newId()}`,
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

const ids = (users: { id: string }[]) => users.map((u) => u.id).sort()

function contract(name: string, open: (t: Test) => Promise<[Store, Store] | null>) {
  t.test(`${name} store: lineage and freezes`, async (t) => {
    const handles = await open(t)
    if (!handles) return
    const [store, other] = handles

    t.test('invitedBy is kept, and found for many ids in one call', async (t) => {
      const root = user()
      const [a, b] = [user({ invitedBy: root.id, inviteCode: newId() }), user({ invitedBy: root.id })]
      const c = user({ invitedBy: a.id })
      const d = user({ invitedBy: b.id })
      for (const u of [root, a, b, c, d]) t.equal(await store.users.create(u), 'created')
      const got = await other.users.get(a.id)
      t.equal(got?.invitedBy, root.id)
      t.equal(got?.inviteCode, a.inviteCode)
      t.equal((await other.users.get(root.id))?.invitedBy ?? null, null, 'none: null')
      t.same(ids(await other.users.listInvitedBy([root.id], 100)), ids([a, b]))
      t.same(ids(await other.users.listInvitedBy([a.id, b.id], 100)), ids([c, d]), 'a whole level at once')
      t.same(await other.users.listInvitedBy([c.id, d.id], 100), [], 'leaves')
      t.same(await other.users.listInvitedBy([], 100), [])
      t.equal((await other.users.listInvitedBy([a.id, b.id], 1)).length, 1, 'capped')
    })

    t.test('freezeMany bans or mutes many users in one call', async (t) => {
      const users = [user(), user(), user()]
      for (const u of users) await store.users.create(u)
      const until = new Date(Date.now() + 60_000)
      t.equal(await store.users.freezeMany([users[0]!.id, users[1]!.id], { mutedUntil: until }), 2)
      t.equal((await other.users.get(users[0]!.id))?.mutedUntil?.getTime(), until.getTime())
      t.equal((await other.users.get(users[2]!.id))?.mutedUntil ?? null, null, 'others untouched')
      t.equal(await store.users.freezeMany([users[1]!.id, users[2]!.id, newId()], { banned: true }), 2)
      t.same(
        (await other.users.getMany(ids(users))).map((u) => [u.id, u.banned]).sort(),
        [
          [users[0]!.id, false],
          [users[1]!.id, true],
          [users[2]!.id, true],
        ].sort(),
      )
      t.equal(await store.users.freezeMany([users[1]!.id], { banned: true }), 1, 'again: still counted')
      t.equal(await store.users.freezeMany([], { banned: true }), 0)
    })

    t.test('revokeAllForUsers revokes the live sessions of many users at once', async (t) => {
      const [u1, u2, u3] = [newId(), newId(), newId()]
      const now = Date.now()
      const mk = async (userId: string) => {
        const id = newId()
        await store.sessions.create({
          id,
          userId,
          createdAt: new Date(now),
          expiresAt: new Date(now + 86_400_000),
          revokedAt: null,
        })
        return id
      }
      const s = [await mk(u1), await mk(u1), await mk(u2), await mk(u3)]
      await store.sessions.revoke(s[1]!, new Date())
      const revoked = await other.sessions.revokeAllForUsers([u1, u2], new Date())
      t.same(
        revoked.map((r) => `${r.userId}:${r.id}`).sort(),
        [`${u1}:${s[0]}`, `${u2}:${s[2]}`].sort(),
        'the live ones, each with its user',
      )
      for (const id of [s[0]!, s[2]!]) t.not((await store.sessions.get(id))?.revokedAt ?? null, null)
      t.equal((await store.sessions.get(s[3]!))?.revokedAt, null, 'another user keeps theirs')
      t.same(await other.sessions.revokeAllForUsers([u1, u2], new Date()), [], 'again: nothing left')
    })

    t.test('revokeOwnedBy revokes the usable codes minted by or held for the users', async (t) => {
      const [minter, holder, bystander] = [newId(), newId(), newId()]
      const past = new Date(Date.now() - 1000)
      const mine = code({ createdBy: minter, heldBy: minter })
      const held = code({ createdBy: bystander, heldBy: holder })
      const used = code({ createdBy: minter, uses: 1 })
      const expired = code({ createdBy: minter, expiresAt: past })
      const revoked = code({ createdBy: holder, revokedAt: past })
      const theirs = code({ createdBy: bystander })
      await store.codes.insertMany([mine, held, used, expired, revoked, theirs])
      t.same(
        (await other.codes.list({ heldBy: holder, now: new Date(), limit: 10, after: null })).map(
          (c) => c.id,
        ),
        [held.id],
        'listed by holder',
      )
      t.equal(await other.codes.revokeOwnedBy([minter, holder], new Date()), 2)
      for (const c of [mine, held]) t.not((await store.codes.get(c.id))?.revokedAt ?? null, null, 'revoked')
      t.equal((await store.codes.get(theirs.id))?.revokedAt, null, "a bystander's stays")
      t.equal((await store.codes.get(revoked.id))?.revokedAt?.getTime(), past.getTime(), 'first time kept')
      t.equal((await store.codes.get(used.id))?.revokedAt, null, 'a used one is left as it is')
      t.equal(await other.codes.revokeOwnedBy([minter, holder], new Date()), 0, 'again: none')
      t.equal(await other.codes.redeem(held.hash, 'invite', new Date()), null, 'cannot be redeemed')
    })
  })
}

contract('sqlite', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'store-lineage-'))
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
