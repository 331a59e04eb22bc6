// Conversations across two instances over MongoDB-wire + Redis: the races the rules name (the
// same emoji from both at once counted once per user, a direct room opened from both sides at
// once created once, an edit on one racing a delete on the other ending deleted on every
// client), and what must reach every instance: read markers, kicks, mutes, the update stream.
import t from 'tap'
import { type Caller, call, loginAdmin, newUser, roomWith } from '../helpers/api.ts'
import { buildTestApp, sharedEnv } from '../helpers/app.ts'
import { mongoUrl, needServer, redisUrl } from '../helpers/servers.ts'
import { joinRoom, listen, socketOpener } from '../helpers/ws.ts'

t.test('conversations across instances', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl) || !needServer(t, 'Redis', redisUrl)) return
  const shared = sharedEnv(t, {}, { scaled: true })
  const a = await buildTestApp(t, shared)
  const b = await buildTestApp(t, shared)
  const [urlA, urlB] = [await listen(a), await listen(b)]
  const admin = await loginAdmin(a)
  const open = socketOpener(t)
  // Created on A, joined on B.
  const room = (...members: Caller[]) => roomWith({ create: a, join: b }, admin, members, 'multi')
  let n = 0
  const send = async (app: typeof a, id: string, as: Caller, text: string) =>
    (await call(app, 'POST', `/api/rooms/${id}/messages`, { as, body: { text, clientMsgId: `c${n++}` } }))
      .body.message
  const emoji = (id: string, seq: number, e: string) =>
    `/api/rooms/${id}/messages/${seq}/reactions/${encodeURIComponent(e)}`

  t.test('the same emoji from both instances at once counts once per user', async (t) => {
    const [ann, bob] = [await newUser(a), await newUser(a)]
    const id = await room(ann, bob)
    await send(a, id, ann, 'react')
    const watcher = await open(urlA, ann)
    await joinRoom(watcher, id)
    const puts = await Promise.all(
      [a, b, a, b, a, b].map((app, i) => call(app, 'PUT', emoji(id, 1, '❤️'), { as: i % 2 ? bob : ann })),
    )
    t.same(
      puts.map((p) => p.status),
      Array(6).fill(204),
    )
    const [m] = (await call(b, 'GET', `/api/rooms/${id}/messages`, { as: bob })).body.items
    t.match(m.reactions, [{ emoji: '❤️', count: 2, mine: true }])
    // Two changes, so two updates: no more, whatever raced.
    await watcher.collect('update', 2)
    await new Promise((r) => setTimeout(r, 200))
    t.equal(watcher.frames.filter((f) => f.type === 'update').length, 2)
    t.equal((await call(a, 'GET', `/api/rooms/${id}`, { as: ann })).body.room.lastSeq, 3)
  })

  t.test('a direct room opened from both sides at once is created once', async (t) => {
    for (let i = 0; i < 3; i++) {
      const [ann, bob] = [await newUser(a), await newUser(a)]
      const opened = await Promise.all([
        call(a, 'POST', '/api/dms', { as: ann, body: { userId: bob.userId } }),
        call(b, 'POST', '/api/dms', { as: bob, body: { userId: ann.userId } }),
      ])
      t.same(
        opened.map((o) => o.status),
        [200, 200],
      )
      t.equal(opened[0]!.body.room.id, opened[1]!.body.room.id, 'one room')
      t.equal(opened[1]!.body.room.memberCount, 2)
      const mine = (await call(a, 'GET', '/api/rooms?mine=true', { as: ann })).body.items
      t.equal(mine.filter((r: any) => r.kind === 'dm').length, 1)
    }
  })

  t.test('an edit on one instance racing a delete on the other ends deleted on every client', async (t) => {
    const ann = await newUser(a)
    const bob = await newUser(a)
    const id = await room(ann, bob)
    const [onA, onB] = [await open(urlA, bob), await open(urlB, bob)]
    await joinRoom(onA, id)
    await joinRoom(onB, id)
    const seqs: number[] = []
    for (let i = 0; i < 4; i++) seqs.push((await send(a, id, ann, `draft ${i}`)).seq)
    await Promise.all(
      seqs.flatMap((seq) => [
        call(a, 'PATCH', `/api/rooms/${id}/messages/${seq}`, { as: ann, body: { text: 'edited' } }),
        call(b, 'DELETE', `/api/rooms/${id}/messages/${seq}`, { as: ann }),
      ]),
    )
    const last = (await call(a, 'GET', `/api/rooms/${id}`, { as: ann })).body.room.lastSeq as number
    for (const s of [onA, onB]) {
      // The final state each client holds: the last frame about each message, in seq order.
      await s.next((f) => (f.type === 'update' || f.type === 'message') && (f.seq ?? f.message.seq) === last)
      const state = new Map<number, any>()
      const frames = s.frames.filter((f) => f.type === 'message' || f.type === 'update')
      for (const f of frames) state.set(f.message.seq, f.message)
      for (const seq of seqs)
        t.match(state.get(seq), { deleted: true, text: '' }, `message ${seq} ends deleted`)
    }
    // And a client that was away, resuming on either instance, gets the same.
    const away = await open(urlB, bob)
    await joinRoom(away, id, 0)
    await away.next((f) => (f.type === 'update' || f.type === 'message') && (f.seq ?? f.message.seq) === last)
    for (const seq of seqs) {
      const frames = away.frames.filter(
        (f) => (f.type === 'message' || f.type === 'update') && f.message.seq === seq,
      )
      t.match(frames.at(-1)!.message, { deleted: true })
    }
  })

  t.test('read on A reaches my socket on B; kick on A removes on B; mute on A refuses on B', async (t) => {
    const [ann, bob] = [await newUser(a), await newUser(a)]
    const id = await room(ann, bob)
    await send(b, id, bob, 'unread')
    const tabB = await open(urlB, ann)
    await joinRoom(tabB, id)
    const started = Date.now()
    t.equal((await call(a, 'POST', `/api/rooms/${id}/read`, { as: ann, body: { seq: 1 } })).status, 204)
    t.same(await tabB.next((f) => f.type === 'read', 2000), { type: 'read', room: id, seq: 1 })
    t.ok(Date.now() - started < 2000)
    t.same((await call(b, 'GET', '/api/me/unread', { as: ann })).body.items, [], 'read everywhere')

    // B knows bob as a member (a send), then A mutes him: B refuses at once.
    t.equal(
      (
        await call(b, 'POST', `/api/rooms/${id}/messages`, {
          as: bob,
          body: { text: 'x', clientMsgId: 'm0' },
        })
      ).status,
      201,
    )
    await call(a, 'POST', `/api/rooms/${id}/members/${bob.userId}/mute`, { as: admin, body: { minutes: 60 } })
    const muted = await call(b, 'POST', `/api/rooms/${id}/messages`, {
      as: bob,
      body: { text: 'y', clientMsgId: 'm1' },
    })
    t.equal(muted.status, 403)
    t.equal(muted.body.code, 'MUTED')
    await call(b, 'POST', `/api/rooms/${id}/members/${bob.userId}/mute`, { as: admin, body: { minutes: 0 } })
    t.equal(
      (
        await call(a, 'POST', `/api/rooms/${id}/messages`, {
          as: bob,
          body: { text: 'z', clientMsgId: 'm2' },
        })
      ).status,
      201,
    )

    const bobB = await open(urlB, bob)
    await joinRoom(bobB, id)
    await call(a, 'POST', `/api/rooms/${id}/members/${bob.userId}/kick`, { as: admin })
    t.same(await bobB.next((f) => f.type === 'removed', 2000), {
      type: 'removed',
      room: id,
      reason: 'kicked',
    })
    const after = await call(b, 'POST', `/api/rooms/${id}/messages`, {
      as: bob,
      body: { text: 'q', clientMsgId: 'm3' },
    })
    t.equal(after.body.code, 'NOT_MEMBER')
  })
})
