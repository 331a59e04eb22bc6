// The Store contract for leaving (src/store/leave-store.ts and MessageStore.removeMany), on
// every adapter: a user's things found by owner in keyset pages, batch removal that deletes each
// message once however many handles race, and the tombstone that keeps the username taken.
// Two handles on the same data, as two instances have.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MongoClient } from 'mongodb'
import t, { type Test } from 'tap'
import { newId } from '../../src/ids.ts'
import { DELETED_NAME } from '../../src/store/leave-store.ts'
import { openMongoStore } from '../../src/store/mongo/index.ts'
import type { NewMessage, UserRecord, UserSnapshot } from '../../src/store/records.ts'
import { openSqliteStore } from '../../src/store/sqlite/index.ts'
import type { Store } from '../../src/store/store.ts'
import { isolatedMongoUrl, mongoUrl, needServer } from '../helpers/servers.ts'

let n = 0
const user = (username: string): UserRecord => ({
  id: newId(),
  username,
  displayName: `${username} shown`,
  bio: 'a bio',
  role: 'user',
  passwordHash: 'hash',
  theme: { mode: 'dark' },
  vipExpiresAt: null,
  totpSecret: 'sealed',
  totpPending: null,
  banned: false,
  createdAt: new Date(),
  avatar: null,
})
const snap = (u: UserRecord): UserSnapshot => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  avatar: null,
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
  clientMsgId: `c${n++}`,
  createdAt: new Date(),
  ...extra,
})

function contract(name: string, open: (t: Test) => Promise<[Store, Store] | null>) {
  t.test(`${name} store: leaving`, async (t) => {
    const handles = await open(t)
    if (!handles) return
    const [store, other] = handles
    const ann = user(`ann${n++}`)
    const bob = user(`bob${n++}`)
    t.equal(await store.users.create(ann), 'created')
    t.equal(await store.users.create(bob), 'created')
    const [r1, r2] = [newId(), newId()]
    await store.messages.appendMany(Array.from({ length: 7 }, (_, i) => message(r1, snap(ann), `a${i}`)))
    await store.messages.append(
      message(r1, snap(bob), 'bob says', { replyTo: { seq: 1, from: snap(ann), text: 'a0' } }),
    )
    await store.messages.appendMany([message(r2, snap(ann), 'in r2'), message(r2, snap(bob), 'bob in r2')])

    t.test('messages by author: the rooms, then keyset pages in seq order', async (t) => {
      t.same((await other.leaving.roomsAuthored(ann.id)).sort(), [r1, r2].sort())
      const first = await other.leaving.authored(ann.id, r1, 0, 4)
      t.same(
        first.map((m) => m.seq),
        [1, 2, 3, 4],
      )
      const rest = await other.leaving.authored(ann.id, r1, 4, 4)
      t.same(
        rest.map((m) => [m.seq, m.text]),
        [
          [5, 'a4'],
          [6, 'a5'],
          [7, 'a6'],
        ],
      )
      t.same(
        (await other.leaving.authored(ann.id, r2, 0, 10)).map((m) => m.text),
        ['in r2'],
      )
      t.same(await other.leaving.authored(ann.id, 'not-an-id', 0, 10), [])
    })

    t.test('removeMany: each message deleted once, however many handles race', async (t) => {
      const seqs = [1, 2, 3, 4, 5, 6, 7]
      const [x, y] = await Promise.all([
        store.messages.removeMany(r1, seqs),
        other.messages.removeMany(r1, seqs.slice(2)),
      ])
      const removed = [...x, ...y].map((m) => m.seq).sort((a, b) => a - b)
      t.same(removed, seqs, 'every seq once')
      t.equal(x.find((m) => m.seq === 1)?.text, 'a0', 'as the message was')
      t.same(await store.messages.removeMany(r1, seqs), [], 'nothing twice')
      const now = await other.messages.get(r1, 3)
      t.match(now, { deleted: true, text: '', file: null })
      t.same(await store.leaving.authored(ann.id, r1, 0, 10, true), [], 'live ones: none left')
      t.equal((await store.leaving.authored(ann.id, r1, 0, 10)).length, 7, 'the tombstones stay')
      t.equal((await store.messages.get(r1, 8))?.deleted, false, "another's message stays")
    })

    t.test('files, posts and sessions by owner', async (t) => {
      const ids = [newId(), newId(), newId()].sort()
      for (const id of ids)
        await store.files.create({
          id,
          roomId: r1,
          uploaderId: ann.id,
          name: `${id}.txt`,
          size: 1,
          contentType: 'text/plain',
          createdAt: new Date(),
        })
      t.same(
        (await other.leaving.files(ann.id, '', 2)).map((f) => f.id),
        ids.slice(0, 2),
      )
      t.same(
        (await other.leaving.files(ann.id, ids[1]!, 2)).map((f) => f.id),
        ids.slice(2),
      )
      const posts = [newId(), newId()].sort()
      await store.posts.insertMany([
        { id: posts[0]!, wall: 'home', authorId: ann.id, text: 'home', createdAt: new Date() },
        { id: posts[1]!, wall: bob.id, authorId: ann.id, text: 'to bob', createdAt: new Date() },
        { id: newId(), wall: ann.id, authorId: bob.id, text: 'on her wall', createdAt: new Date() },
        { id: newId(), wall: 'home', authorId: bob.id, text: 'stays', createdAt: new Date() },
      ])
      t.same(
        (await other.leaving.posts(ann.id, '', 10)).map((p) => p.text),
        ['home', 'to bob'],
      )
      t.equal(await other.leaving.removePosts(ann.id), 3, 'theirs and those on their wall')
      t.same(
        (await store.posts.list({ wall: 'home', limit: 10, after: null })).map((p) => p.text),
        ['stays'],
      )
      const s1 = {
        id: newId(),
        userId: ann.id,
        createdAt: new Date(1000),
        expiresAt: new Date(9e12),
        revokedAt: null,
      }
      const s2 = { ...s1, id: newId(), createdAt: new Date(2000) }
      await store.sessions.create(s2)
      await store.sessions.create(s1)
      t.same(
        (await other.leaving.sessions(ann.id)).map((s) => s.id),
        [s1.id, s2.id],
        'oldest first',
      )
    })

    t.test('the tombstone: hidden, unusable, the name kept; the snapshots renamed', async (t) => {
      const carl = user(`carl${n++}`)
      t.equal(await store.users.create(carl), 'created')
      const gone = await other.leaving.markDeleted(ann.id)
      t.match(gone, {
        deleted: true,
        displayName: DELETED_NAME,
        bio: '',
        passwordHash: '',
        totpSecret: null,
        role: 'user',
      })
      t.match(await other.leaving.markDeleted(carl.id), { deleted: true }, 'a second one: the name is no key')
      t.equal(await other.leaving.markDeleted(newId()), null)
      t.equal((await store.users.getByUsername(ann.username))?.deleted, true, 'still found by name')
      t.equal(await store.users.create(user(ann.username.toUpperCase())), 'taken', 'the username stays taken')
      t.equal(await store.users.create(user(ann.username.replace('a', 'а'))), 'taken', 'confusables too')
      t.notOk((await store.users.get(bob.id))?.deleted, 'others are untouched')
      const listed = await store.users.list({ limit: 50, after: null })
      t.notOk(
        listed.some((u) => u.id === ann.id || u.id === carl.id),
        'out of the directory',
      )
      t.ok(listed.some((u) => u.id === bob.id))
      t.same(await store.users.list({ q: DELETED_NAME, limit: 50, after: null }), [])

      const tomb = { id: ann.id, username: ann.username, displayName: DELETED_NAME, avatar: null }
      await other.leaving.renameAuthor(ann.id, tomb)
      t.same((await store.messages.get(r2, 1))?.from, tomb, 'the sender')
      t.same((await store.messages.get(r1, 8))?.replyTo?.from, tomb, 'the quoted author')
      t.same((await store.messages.get(r2, 2))?.from, snap(bob), "others' messages keep theirs")
    })
  })
}

contract('sqlite', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'store-leave-'))
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
