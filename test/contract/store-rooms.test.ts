// The Store contract for rooms, members and messages (src/store/store.ts), on every adapter.
// Each suite gets two handles on the same data, as two instances have.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MongoClient } from 'mongodb'
import t, { type Test } from 'tap'
import { newId } from '../../src/ids.ts'
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

const message = (
  roomId: string,
  from: UserSnapshot | null,
  text: string,
  clientMsgId: string | null = null,
): NewMessage => ({
  id: newId(),
  roomId,
  kind: 'text',
  from,
  text,
  file: null,
  clientMsgId,
  createdAt: new Date(),
})

function contract(name: string, open: (t: Test) => Promise<[Store, Store] | null>) {
  t.test(`${name} store: rooms and messages`, async (t) => {
    const handles = await open(t)
    if (!handles) return
    const [store, other] = handles

    t.test('create: the creator is the first member', async (t) => {
      const r = room({ name: 'Tea ☕ Room' })
      await store.rooms.create(r)
      const got = await other.rooms.get(r.id)
      t.match(got, { name: 'Tea ☕ Room', memberCount: 1, maxMembers: 100, creator: r.creator })
      t.ok(await store.rooms.isMember(r.id, r.creator.id))
      t.same(await store.rooms.roomsOf(r.creator.id), [r.id])
      t.equal(await store.rooms.get(newId()), null)
      t.equal(await store.rooms.get('bogus'), null)
    })

    t.test('join and leave: idempotent, counted, in order', async (t) => {
      const r = room()
      await store.rooms.create(r)
      const u = person()
      t.equal(await store.rooms.join(r.id, u.id, new Date()), 'joined')
      t.equal(await other.rooms.join(r.id, u.id, new Date()), 'already')
      t.equal((await store.rooms.get(r.id))?.memberCount, 2)
      const page = await store.rooms.members(r.id, 10, null)
      t.same(
        page.map((m) => m.userId),
        [r.creator.id, u.id],
      )
      t.same(
        (await store.rooms.members(r.id, 10, [page[0]!.ticket])).map((m) => m.userId),
        [u.id],
        'paged by ticket',
      )
      t.equal(await store.rooms.leave(r.id, u.id), true)
      t.equal(await store.rooms.leave(r.id, u.id), false)
      t.equal((await other.rooms.get(r.id))?.memberCount, 1)
      t.same(await store.rooms.roomsOf(u.id), [])
      t.equal(await store.rooms.join(newId(), u.id, new Date()), 'missing')
    })

    t.test('20 concurrent joins on two handles never pass maxMembers', async (t) => {
      const r = room({ maxMembers: 5 })
      await store.rooms.create(r)
      const people = Array.from({ length: 20 }, () => person())
      const results = await Promise.all(
        people.map((p, i) => (i % 2 ? other : store).rooms.join(r.id, p.id, new Date())),
      )
      t.equal(results.filter((x) => x === 'joined').length, 4, 'the creator and 4 more')
      t.equal(results.filter((x) => x === 'full').length, 16)
      t.equal((await store.rooms.get(r.id))?.memberCount, 5)
      t.equal((await store.rooms.members(r.id, 50, null)).length, 5)
    })

    t.test('concurrent joins of one user make one membership', async (t) => {
      const r = room()
      await store.rooms.create(r)
      const u = person()
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? other : store).rooms.join(r.id, u.id, new Date())),
      )
      t.equal(results.filter((x) => x === 'joined').length, 1)
      t.equal(results.filter((x) => x === 'already').length, 9)
      t.equal((await store.rooms.get(r.id))?.memberCount, 2)
    })

    t.test('list: busiest first then newest, search by name, mine, paged', async (t) => {
      const tag = `zq${Math.random().toString(36).slice(2, 6)}`
      const rooms = [
        room({ name: `${tag} small` }),
        room({ name: `${tag} BIG` }),
        room({ name: `${tag} mid` }),
        room({ name: `${tag} new` }),
      ]
      for (const r of rooms) await store.rooms.create(r)
      const me = person()
      for (const p of [person(), person(), me]) await store.rooms.join(rooms[1]!.id, p.id, new Date())
      for (const p of [person(), me]) await store.rooms.join(rooms[2]!.id, p.id, new Date())
      const all = await store.rooms.list({ q: tag.toUpperCase(), limit: 10, after: null })
      t.same(
        all.map((r) => r.id),
        [rooms[1]!.id, rooms[2]!.id, rooms[3]!.id, rooms[0]!.id],
      )
      const first = await store.rooms.list({ q: tag, limit: 2, after: null })
      t.equal(first.length, 3, 'limit + 1')
      const second = await store.rooms.list({
        q: tag,
        limit: 2,
        after: [first[1]!.memberCount, first[1]!.id],
      })
      t.same(
        second.map((r) => r.id),
        [rooms[3]!.id, rooms[0]!.id],
      )
      t.same(
        (await store.rooms.list({ q: `${tag} b`, limit: 10, after: null })).map((r) => r.id),
        [rooms[1]!.id],
        'contains',
      )
      t.same((await store.rooms.list({ q: '.*', limit: 10, after: null })).length, 0, 'taken literally')
      const mine = await store.rooms.list({ memberOf: me.id, limit: 10, after: null })
      t.same(
        mine.map((r) => r.id),
        [rooms[1]!.id, rooms[2]!.id],
      )
    })

    t.test('messages: seq from 1 without gaps; range after and before', async (t) => {
      const r = room()
      await store.rooms.create(r)
      const u = person()
      for (let i = 1; i <= 5; i++) {
        const { message: m, duplicate } = await store.messages.append(message(r.id, u, `hello ${i} 👋🏽`))
        t.equal(m.seq, i)
        t.equal(duplicate, false)
      }
      t.equal(await other.messages.lastSeq(r.id), 5)
      const after = await other.messages.range(r.id, { after: 2, limit: 10 })
      t.same(
        after.map((m) => m.seq),
        [3, 4, 5],
      )
      t.equal(after[0]!.text, 'hello 3 👋🏽')
      t.same(after[0]!.from, u)
      t.same(
        (await store.messages.range(r.id, { before: 5, limit: 2 })).map((m) => m.seq),
        [3, 4],
      )
      t.same(
        (await store.messages.range(r.id, { after: 0, limit: 2 })).map((m) => m.seq),
        [1, 2],
      )
      t.equal(await store.messages.lastSeq(newId()), 0)
    })

    t.test('60 concurrent appends from two handles get seqs 1..60 exactly once', async (t) => {
      const r = room()
      await store.rooms.create(r)
      const u = person()
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          (i % 2 ? other : store).messages.append(message(r.id, u, `m${i}`), i % 3 === 0 ? 0 : undefined),
        ),
      )
      t.same(
        results.map((x) => x.message.seq).sort((a, b) => a - b),
        Array.from({ length: 60 }, (_, i) => i + 1),
      )
      const stored = await store.messages.range(r.id, { after: 0, limit: 100 })
      t.same(
        stored.map((m) => m.seq),
        Array.from({ length: 60 }, (_, i) => i + 1),
      )
      t.same(new Set(stored.map((m) => m.text)).size, 60)
    })

    t.test('idempotent by (room, sender, clientMsgId), also under concurrency', async (t) => {
      const r = room()
      await store.rooms.create(r)
      const a = person()
      const b = person()
      const first = await store.messages.append(message(r.id, a, 'once', 'c-1'))
      const again = await other.messages.append(message(r.id, a, 'once (retry)', 'c-1'))
      t.equal(again.duplicate, true)
      t.equal(again.message.id, first.message.id)
      t.equal(again.message.text, 'once')
      const otherSender = await store.messages.append(message(r.id, b, 'mine', 'c-1'))
      t.equal(otherSender.duplicate, false, 'another sender may use the same clientMsgId')
      const racers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? other : store).messages.append(message(r.id, a, 'race', 'c-2')),
        ),
      )
      t.equal(racers.filter((x) => !x.duplicate).length, 1)
      t.equal(new Set(racers.map((x) => x.message.seq)).size, 1)
      t.equal(await store.messages.lastSeq(r.id), 3)
    })

    t.test('sent: the message a sender stored with a clientMsgId, as a repeat would get it', async (t) => {
      const r = room()
      await store.rooms.create(r)
      const [a, b] = [person(), person()]
      const first = await store.messages.append(message(r.id, a, 'once', 'c-1'))
      const found = await other.messages.sent(r.id, a.id, 'c-1')
      t.match(found, { id: first.message.id, seq: 1, text: 'once', clientMsgId: 'c-1', from: a })
      t.equal(found?.createdAt.getTime(), first.message.createdAt.getTime())
      t.equal(await other.messages.sent(r.id, b.id, 'c-1'), null, "another sender's")
      t.equal(await other.messages.sent(r.id, a.id, 'c-2'), null, 'another clientMsgId')
      t.equal(await other.messages.sent(room().id, a.id, 'c-1'), null, 'another room')
    })

    t.test('appendMany: one batch, in order, gapless, with repeats and a stale hint', async (t) => {
      const r = room()
      await store.rooms.create(r)
      const a = person()
      const b = person()
      const first = await store.messages.appendMany(
        [message(r.id, a, 'one', 'k-1'), message(r.id, b, 'two', 'k-1'), message(r.id, a, 'three')],
        0,
      )
      t.same(
        first.map((x) => [x.message.seq, x.message.text, x.duplicate]),
        [
          [1, 'one', false],
          [2, 'two', false],
          [3, 'three', false],
        ],
      )
      // A repeat of a stored clientMsgId in the middle of a batch, and a repeat within the batch.
      const second = await store.messages.appendMany(
        [
          message(r.id, a, 'four', 'k-4'),
          message(r.id, a, 'one (retry)', 'k-1'),
          message(r.id, b, 'five', 'k-5'),
          message(r.id, b, 'five (retry)', 'k-5'),
          message(r.id, a, 'six'),
        ],
        3,
      )
      t.same(
        second.map((x) => [x.message.seq, x.message.text, x.duplicate]),
        [
          [4, 'four', false],
          [1, 'one', true],
          [5, 'five', false],
          [5, 'five', true],
          [6, 'six', false],
        ],
        'each gets its own answer; repeats get the first message; no seq is skipped',
      )
      // Another handle appended meanwhile: the hint is stale, and the batch moves past it.
      await other.messages.append(message(r.id, b, 'elsewhere'))
      const third = await store.messages.appendMany([message(r.id, a, 'eight'), message(r.id, a, 'nine')], 6)
      t.same(
        third.map((x) => x.message.seq),
        [8, 9],
      )
      const stored = await store.messages.range(r.id, { after: 0, limit: 100 })
      t.same(
        stored.map((m) => m.seq),
        [1, 2, 3, 4, 5, 6, 7, 8, 9],
        'gapless',
      )
      t.same(await store.messages.appendMany([], 9), [])
    })

    t.test('appendMany racing appends on another handle: gapless, each stored once', async (t) => {
      const r = room()
      await store.rooms.create(r)
      const u = person()
      const results = (
        await Promise.all([
          ...Array.from({ length: 5 }, (_, k) =>
            store.messages.appendMany(
              Array.from({ length: 6 }, (_, i) => message(r.id, u, `b${k}-${i}`, `b${k}-${i}`)),
              0,
            ),
          ),
          ...Array.from({ length: 10 }, (_, i) =>
            other.messages.append(message(r.id, u, `s${i}`, `s${i}`)).then((x) => [x]),
          ),
        ])
      ).flat()
      t.equal(results.filter((x) => x.duplicate).length, 0)
      t.same(
        results.map((x) => x.message.seq).sort((a, b) => a - b),
        Array.from({ length: 40 }, (_, i) => i + 1),
      )
    })

    t.test('edit, remove: a deletion wins over an edit racing it on another handle', async (t) => {
      const r = room()
      await store.rooms.create(r)
      for (let i = 0; i < 6; i++) {
        const { message: m } = await store.messages.append(message(r.id, r.creator, `words ${i}`))
        const [edited, removed] = await Promise.all([
          store.messages.edit(r.id, m.seq, 'edited', [], new Date()),
          other.messages.remove(r.id, m.seq),
        ])
        t.ok(['edited', 'deleted', 'overridden'].includes(edited))
        t.equal(removed?.text, m.text === 'edited' ? 'edited' : removed?.text, 'the message as it was')
        t.match(await other.messages.get(r.id, m.seq), { deleted: true, text: '', mentions: [] })
        t.equal(await store.messages.remove(r.id, m.seq), null, 'once')
        t.equal(await store.messages.edit(r.id, m.seq, 'late', [], new Date()), 'deleted')
      }
      t.equal(await store.messages.edit(r.id, 999, 'x', [], new Date()), 'missing')
    })

    t.test('updates take seqs in the stream; range resolves them, history skips them', async (t) => {
      const r = room()
      await store.rooms.create(r)
      const { message: m } = await store.messages.append(message(r.id, r.creator, 'first'))
      await store.messages.edit(r.id, m.seq, 'second', [], new Date())
      await store.messages.append({
        ...message(r.id, r.creator, '{"kind":"edit"}'),
        kind: 'update',
        target: m.seq,
      })
      t.same(
        (await other.messages.history(r.id, { after: 0, limit: 10 })).map((x) => x.seq),
        [1],
      )
      const stream = await other.messages.range(r.id, { after: 0, limit: 10 })
      t.match(stream, [
        { seq: 1, text: 'second' },
        { seq: 2, kind: 'update', target: 1, current: { seq: 1, text: 'second' } },
      ])
      t.equal(await other.messages.lastSeq(r.id), 2)
    })

    t.test('reactions: once per user and emoji from two handles at once; at most N emojis', async (t) => {
      const r = room()
      await store.rooms.create(r)
      const { message: m } = await store.messages.append(message(r.id, r.creator, 'react'))
      const [ann, bob] = [person(), person()]
      const results = await Promise.all(
        [store, other, store, other].flatMap((s) => [
          s.messages.react(m.id, '👍', ann.id, 3, new Date()),
          s.messages.react(m.id, '👍', bob.id, 3, new Date()),
        ]),
      )
      t.equal(results.filter((x) => x === 'added').length, 2, 'one add per user')
      t.match((await other.messages.get(r.id, m.seq))?.reactions, [{ emoji: '👍', users: [/./, /./] }])
      t.equal(await store.messages.react(m.id, '🎉', ann.id, 3, new Date()), 'added')
      t.equal(await store.messages.react(m.id, '🙂', ann.id, 3, new Date()), 'added')
      t.equal(await store.messages.react(m.id, '😀', ann.id, 3, new Date()), 'full')
      t.equal(
        await store.messages.react(m.id, '🙂', bob.id, 3, new Date()),
        'added',
        'an emoji there already',
      )
      t.equal(await other.messages.unreact(m.id, '🙂', bob.id), true)
      t.equal(await other.messages.unreact(m.id, '🙂', bob.id), false)
    })

    t.test('read markers never move back, from two handles at once; unread from seqs', async (t) => {
      const r = room()
      await store.rooms.create(r)
      const reader = person()
      await store.rooms.join(r.id, reader.id, new Date())
      for (let i = 0; i < 8; i++)
        await store.messages.append({
          ...message(r.id, i === 7 ? reader : r.creator, `m${i}`),
          mentions: i === 5 ? [reader.id] : [],
        })
      t.same(await other.messages.unread(reader.id), [
        { room: r.id, lastSeq: 8, readSeq: 0, unread: 7, mentions: 1 },
      ])
      await Promise.all(
        [3, 6, 2, 5, 4].map((seq, i) => (i % 2 ? store : other).messages.markRead(r.id, reader.id, seq)),
      )
      t.equal(await store.messages.readSeq(r.id, reader.id), 6)
      t.equal(await store.messages.markRead(r.id, reader.id, 1), false)
      t.same(await other.messages.unread(reader.id), [
        { room: r.id, lastSeq: 8, readSeq: 6, unread: 1, mentions: 0 },
      ])
      await store.messages.remove(r.id, 7)
      t.same(await other.messages.unread(reader.id), [], 'a deleted message is not unread')
    })

    t.test("unread over named rooms: only the user's, each with its own marker", async (t) => {
      const reader = person()
      const rooms = [room(), room(), room(), room()]
      for (const r of rooms) await store.rooms.create(r)
      // The reader is in the first three; the fourth is named but not theirs.
      for (const r of rooms.slice(0, 3)) await store.rooms.join(r.id, reader.id, new Date())
      for (const [i, r] of rooms.entries())
        for (let k = 0; k < 3 + i; k++)
          await store.messages.append({
            ...message(r.id, r.creator, `m${k}`),
            mentions: k === 1 ? [reader.id] : [],
          })
      await store.messages.markRead(rooms[0]!.id, reader.id, 2)
      await store.messages.markRead(rooms[1]!.id, reader.id, 4)
      const ids = rooms.map((r) => r.id)
      const byRoom = (list: Awaited<ReturnType<Store['messages']['unread']>>) =>
        [...list].sort((a, b) => ids.indexOf(a.room) - ids.indexOf(b.room))
      const expected = [
        { room: rooms[0]!.id, lastSeq: 3, readSeq: 2, unread: 1, mentions: 0 },
        { room: rooms[2]!.id, lastSeq: 5, readSeq: 0, unread: 5, mentions: 1 },
      ]
      t.same(byRoom(await other.messages.unread(reader.id, ids)), expected, 'a room not theirs is left out')
      t.same(byRoom(await other.messages.unread(reader.id)), expected, 'the same without named rooms')
      const many = [...ids, ...Array.from({ length: 60 }, () => newId())]
      t.same(byRoom(await other.messages.unread(reader.id, many)), expected, 'and with many rooms named')
      t.same(await other.messages.unread(reader.id, [rooms[3]!.id, 'not-an-id']), [])
    })

    t.test('direct rooms: one per pair, opened from two handles at once', async (t) => {
      const [ann, bob] = [person(), person()]
      const dm = [ann.id, bob.id].sort() as [string, string]
      const open = (s: Store, from: UserSnapshot) =>
        s.rooms.openDm({ ...room({ creator: from, maxMembers: 2, kind: 'dm', name: 'dm' }), dm })
      const rooms = await Promise.all([
        open(store, ann),
        open(other, bob),
        open(store, bob),
        open(other, ann),
      ])
      t.equal(new Set(rooms.map((x) => x.id)).size, 1)
      t.match(await other.rooms.get(rooms[0]!.id), { kind: 'dm', dm, memberCount: 2 })
      t.ok(await store.rooms.isMember(rooms[0]!.id, ann.id))
      t.ok(await store.rooms.isMember(rooms[0]!.id, bob.id))
      const listed = await store.rooms.list({ limit: 1000, after: null })
      t.notOk(
        listed.some((x) => x.id === rooms[0]!.id),
        'not in the public list',
      )
      t.ok(
        (await store.rooms.list({ memberOf: ann.id, limit: 10, after: null })).some(
          (x) => x.id === rooms[0]!.id,
        ),
      )
    })

    t.test('mutes: set, read from the other handle, lifted', async (t) => {
      const r = room()
      await store.rooms.create(r)
      const u = person()
      const until = new Date(Date.now() + 60_000)
      await store.rooms.mute(r.id, u.id, until)
      t.equal((await other.rooms.mutedUntil(r.id, u.id))?.getTime(), until.getTime())
      await other.rooms.mute(r.id, u.id, null)
      t.equal(await store.rooms.mutedUntil(r.id, u.id), null)
    })

    t.test('delete removes the room, its members and its messages', async (t) => {
      const r = room()
      await store.rooms.create(r)
      await store.messages.append(message(r.id, r.creator, 'bye'))
      t.equal(await store.rooms.delete(r.id), true)
      t.equal(await store.rooms.get(r.id), null)
      t.equal(await store.rooms.delete(r.id), false)
      t.equal(await store.messages.lastSeq(r.id), 0)
      t.same(await store.rooms.roomsOf(r.creator.id), [])
    })
  })
}

contract('sqlite', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'store-rooms-'))
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
