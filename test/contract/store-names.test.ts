// The Store contract for names that can be mistaken for one another (src/store/name-key.ts),
// run against every adapter: a username or display name confusable with another user's is
// refused as an exact copy is, by the write itself (concurrent writers included), and the users
// stored before the keys get theirs when the store opens.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { MongoClient, ObjectId } from 'mongodb'
import t, { type Test } from 'tap'
import { newId } from '../../src/ids.ts'
import { openMongoStore } from '../../src/store/mongo/index.ts'
import type { UserRecord } from '../../src/store/records.ts'
import { openSqliteStore } from '../../src/store/sqlite/index.ts'
import type { Store } from '../../src/store/store.ts'
import { isolatedMongoUrl, mongoUrl, needServer } from '../helpers/servers.ts'

const user = (username: string, displayName = username): UserRecord => ({
  id: newId(),
  username,
  displayName,
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
})

interface Backend {
  open(): Promise<Store>
  /** Makes the store as a version before name keys left it, with `legacy` written raw then. */
  forget(legacy: { id: string; displayName: string }): Promise<void>
}

function contract(name: string, setUp: (t: Test) => Promise<Backend | null>) {
  t.test(`${name} store: confusable names`, async (t) => {
    const backend = await setUp(t)
    if (!backend) return
    let store = await backend.open()
    t.teardown(() => store.close())

    t.test('a username confusable with a username or display name is taken', async (t) => {
      const mike = user('mike_n', 'Mike N')
      t.equal(await store.users.create(mike), 'created')
      for (const clash of ['rnike_n', 'MIKE_N', 'mike_N']) {
        const u = user(clash, 'someone else')
        t.equal(await store.users.create(u), 'taken', `${clash} reads as mike_n`)
        t.equal(await store.users.get(u.id), null, 'nothing stored')
      }
      t.equal(await store.users.create(user('mike_nn', 'another')), 'created', 'a different name is free')
      t.equal(await store.users.create(user('Mlke_N', 'x')), 'created', "'l' is not 'i'")
      t.equal(await store.users.create(user('rnike_m')), 'created')
      t.equal(await store.users.create(user('rn1ke_m')), 'created', "'1' reads as 'l', not 'i'")
      t.equal(await store.users.create(user('ad0', 'Seen Before')), 'created')
      t.equal(await store.users.create(user('seen_before', 'x y')), 'created')
      t.equal(await store.users.create(user('adO')), 'taken', "'0' and 'O' read alike")
    })

    t.test(
      'a display name confusable with another user’s name is name-taken, on create and update',
      async (t) => {
        const ann = user('ann_w', 'Ann Wonder')
        t.equal(await store.users.create(ann), 'created')
        t.equal(
          await store.users.create(user('ann_x', 'ann wonder')),
          'name-taken',
          'an exact copy, in other case',
        )
        t.equal(await store.users.create(user('ann_y', 'Аnn Wоnder')), 'name-taken', 'Cyrillic А and о')
        t.equal(
          await store.users.create(user('ann_z', 'ＡＮＮ_Ｗ')),
          'name-taken',
          "fullwidth: ann_w's username",
        )
        const bob = user('bob_w', 'Bob')
        t.equal(await store.users.create(bob), 'created')
        t.equal(await store.users.update(bob.id, { displayName: 'Ann Wonder', bio: 'x' }), 'name-taken')
        t.equal(await store.users.update(bob.id, { displayName: 'аnn_w' }), 'name-taken', "ann's username")
        t.match(await store.users.get(bob.id), { displayName: 'Bob', bio: '' }, 'nothing written')
        t.match(
          await store.users.update(bob.id, { displayName: 'BOB_W' }),
          { displayName: 'BOB_W' },
          'one’s own username',
        )
        t.match(
          await store.users.update(bob.id, { displayName: 'BOB_W', bio: 'y' }),
          { bio: 'y' },
          'the same again',
        )
        // The name replaced is free again.
        t.match(await store.users.update(ann.id, { displayName: 'Ann Again' }), { displayName: 'Ann Again' })
        t.equal(await store.users.create(user('ann_v', 'Ann Wonder')), 'created', 'ann left it')
        t.equal(await store.users.create(user('ann_u', 'ann again')), 'name-taken')
        t.equal(await store.users.update(newId(), { displayName: 'Nobody' }), null)
      },
    )

    t.test('of concurrent writes of confusable names, one wins and the others are refused', async (t) => {
      const names = ['race_rn', 'race_m', 'RACE_M', 'Race_rn', 'race_rN', 'RACE_RN']
      const results = await Promise.all(names.map((n) => store.users.create(user(n, `${n} shown`))))
      t.equal(results.filter((r) => r === 'created').length, 1, `one created: ${results}`)
      t.equal(
        results.filter((r) => r === 'taken').length,
        names.length - 1,
        'the others taken, as an exact copy',
      )
      const [a, b] = [user('race_a'), user('race_b')]
      await store.users.create(a)
      await store.users.create(b)
      const renames = await Promise.all([
        store.users.update(a.id, { displayName: 'Zoë Ωmega' }),
        store.users.update(b.id, { displayName: 'ZOË ΩMEGA' }),
      ])
      t.equal(renames.filter((r) => r === 'name-taken').length, 1, 'one rename refused')
      const both = await Promise.all([
        store.users.create(user('race_c', 'Ünique Name')),
        store.users.create(user('race_d', 'Ünique Nаme')),
      ])
      t.same(both.sort(), ['created', 'name-taken'])
    })

    t.test('users stored before the keys get theirs when the store opens, oldest first', async (t) => {
      const first = user('legacy_a', 'Legacy Name')
      const second = user('legacy_b', 'Second')
      first.createdAt = new Date(Date.now() - 60_000)
      await store.users.create(first)
      await store.users.create(second)
      await store.close()
      // Stored by a version that had no keys: the second took a name confusable with the first's.
      await backend.forget({ id: second.id, displayName: 'LEGACY NAME' })
      store = await backend.open()
      t.equal(await store.users.create(user('legacy_c', 'Legacy Name')), 'name-taken', 'the first keeps it')
      t.equal(await store.users.create(user('legacy_d', 'Second')), 'created', 'the name the second left')
      t.equal(await store.users.create(user('legacy_e', 'lеgacy_b')), 'name-taken', 'a username is keyed too')
      t.match(
        await store.users.update(second.id, { displayName: 'LEGACY NAME', bio: 'kept' }),
        { displayName: 'LEGACY NAME', bio: 'kept' },
        'the second keeps the name it had',
      )
      t.match(await store.users.update(first.id, { displayName: 'Legacy Name!' }), {
        displayName: 'Legacy Name!',
      })
      t.same(
        Object.keys((await store.users.get(second.id))!).sort(),
        Object.keys(second).sort(),
        'no storage field leaks into the record',
      )
    })
  })
}

contract('sqlite', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'store-names-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return {
    open: async () => openSqliteStore(dir),
    async forget({ id, displayName }) {
      const db = new Database(join(dir, 'chat.db'))
      db.exec('DELETE FROM name_keys; UPDATE name_keys_state SET filled = 0')
      db.prepare('UPDATE users SET display_name = ?, display_name_lower = lower(?) WHERE id = ?').run(
        displayName,
        displayName,
        id,
      )
      db.close()
    },
  }
})

contract('mongodb', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl)) return null
  const url = isolatedMongoUrl(mongoUrl)
  const client = new MongoClient(url)
  t.teardown(async () => {
    await client.db().dropDatabase()
    await client.close()
  })
  return {
    open: () => openMongoStore(url),
    async forget({ id, displayName }) {
      const db = client.db()
      await db.collection('name_keys').deleteMany({})
      await db.collection('users').updateMany({}, { $unset: { nameKeyed: '' } })
      await db
        .collection('users')
        .updateOne(
          { _id: new ObjectId(id) },
          { $set: { displayName, displayNameLower: displayName.toLowerCase() } },
        )
    },
  }
})
