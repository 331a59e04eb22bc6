// Search and pins across two instances over MongoDB-wire + Redis: a pin made on one reaches the
// sockets of both as an event of the room's stream, and a resume on the other replays it; the
// same pin from both at once is one event; a search on one instance finds what the other stored
// and stops finding a room the moment a kick on the other took the member out.
import t from 'tap'
import { type Caller, call, loginAdmin, newUser, roomWith } from '../helpers/api.ts'
import { buildTestApp, sharedEnv } from '../helpers/app.ts'
import { mongoUrl, needServer, redisUrl } from '../helpers/servers.ts'
import { joinRoom, listen, socketOpener } from '../helpers/ws.ts'

t.test('search and pins across instances', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl) || !needServer(t, 'Redis', redisUrl)) return
  const shared = sharedEnv(t, {}, { scaled: true })
  const a = await buildTestApp(t, shared)
  const b = await buildTestApp(t, shared)
  const [urlA, urlB] = [await listen(a), await listen(b)]
  const admin = await loginAdmin(a)
  const open = socketOpener(t)
  let n = 0
  const send = async (app: typeof a, id: string, as: Caller, text: string) =>
    (await call(app, 'POST', `/api/rooms/${id}/messages`, { as, body: { text, clientMsgId: `c${n++}` } }))
      .body.message
  const texts = async (app: typeof a, as: Caller, q: string) =>
    ((await call(app, 'GET', `/api/search?q=${encodeURIComponent(q)}`, { as })).body.items as any[]).map(
      (h) => h.message.text,
    )

  t.test('a pin on one instance is an event on both, replayed by a resume on the other', async (t) => {
    const bob = await newUser(a)
    const id = await roomWith({ create: a, join: b }, admin, [bob], 'pins')
    await send(a, id, bob, 'pin this one')
    const [onA, onB] = [await open(urlA, bob), await open(urlB, bob)]
    await joinRoom(onA, id)
    await joinRoom(onB, id)
    // The same pin from both instances at once: one pin, one event.
    const puts = await Promise.all(
      [a, b, a, b].map((app) => call(app, 'PUT', `/api/rooms/${id}/pins/1`, { as: admin })),
    )
    t.same(
      puts.map((p) => p.status),
      [204, 204, 204, 204],
    )
    t.equal((await call(b, 'DELETE', `/api/rooms/${id}/pins/1`, { as: admin })).status, 204)
    for (const s of [onA, onB]) {
      const frames = await s.collect('pin', 2)
      t.match(frames, [
        { type: 'pin', room: id, seq: 2, message: { seq: 1, text: 'pin this one' }, pinned: true },
        { type: 'pin', room: id, seq: 3, message: { seq: 1 }, pinned: false },
      ])
    }
    await send(b, id, bob, 'after')
    t.equal(
      (await call(a, 'GET', `/api/rooms/${id}`, { as: bob })).body.room.lastSeq,
      4,
      'one event per change',
    )
    const late = await open(urlB, bob)
    await joinRoom(late, id, 1)
    const replayed = await late.collect('pin', 2)
    t.same(
      replayed.map((f) => [f.seq, f.pinned]),
      [
        [2, true],
        [3, false],
      ],
    )
    t.same((await call(b, 'GET', `/api/rooms/${id}/pins`, { as: bob })).body.items, [])
  })

  t.test('a search on one instance: what the other stored, and no room a kick there ended', async (t) => {
    const [ann, bob] = [await newUser(a), await newUser(a)]
    const id = await roomWith({ create: a, join: b }, admin, [ann, bob], 'search')
    await send(a, id, ann, '跨实例搜索 works across instances')
    t.same(await texts(b, bob, '实例'), ['跨实例搜索 works across instances'])
    t.same(await texts(b, bob, 'ACROSS'), ['跨实例搜索 works across instances'])
    t.equal((await call(a, 'POST', `/api/rooms/${id}/members/${bob.userId}/kick`, { as: admin })).status, 204)
    t.same(await texts(b, bob, '实例'), [], 'kicked on A: nothing of that room on B')
    t.same(await texts(b, ann, '实例'), ['跨实例搜索 works across instances'])
  })
})
