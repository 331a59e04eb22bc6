// Two instances over one Redis and one MongoDB-wire server: who is online, typing notices, bans
// and leaves cross from one instance to the other's sockets. (That a dead instance's users fade
// out is in chat-cluster.test.ts, which kills real server processes.)
import t from 'tap'
import { call, loginAdmin, newUser } from '../helpers/api.ts'
import { buildTestApp, sharedEnv } from '../helpers/app.ts'
import { mongoUrl, needServer, redisUrl } from '../helpers/servers.ts'
import { connect, listen, type RawSocket } from '../helpers/ws.ts'

const sorted = (ids: string[]) => [...ids].sort()

t.test('presence and live membership across two instances', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl) || !needServer(t, 'Redis', redisUrl)) return
  const shared = sharedEnv(t, {}, { scaled: true })
  const a = await buildTestApp(t, shared)
  const b = await buildTestApp(t, shared)
  const urlA = await listen(a)
  const urlB = await listen(b)
  const admin = await loginAdmin(a)
  const room = (await call(a, 'POST', '/api/rooms', { as: admin, body: { name: 'Presence' } })).body.room
  const alice = await newUser(a)
  const bob = await newUser(b)
  t.equal((await call(a, 'POST', `/api/rooms/${room.id}/join`, { as: alice })).status, 200)
  t.equal((await call(b, 'POST', `/api/rooms/${room.id}/join`, { as: bob })).status, 200)

  const sockets: RawSocket[] = []
  t.teardown(() => {
    for (const s of sockets) s.close()
  })
  /** Opens a socket for `user` on `url` and joins the room; returns it with its `joined` frame. */
  async function joinOn(url: string, token: string) {
    const s = await connect(url, { token })
    sockets.push(s)
    s.send({ type: 'join', room: room.id })
    const joined = await s.next((f) => f.type === 'joined', 10_000)
    return { s, joined }
  }

  let onA: RawSocket
  let onB: RawSocket

  await t.test('a user on A and a user on B each see both online', async (t) => {
    const first = await joinOn(urlA, alice.token)
    onA = first.s
    t.same(first.joined.online, [alice.userId], 'alone at first')
    const second = await joinOn(urlB, bob.token)
    onB = second.s
    t.same(second.joined.online, sorted([alice.userId, bob.userId]), "B's joined lists both")
    const seen = await onA.next(
      (f) => f.type === 'presence' && f.room === room.id && f.online.includes(bob.userId),
      10_000,
    )
    t.same(seen.online, sorted([alice.userId, bob.userId]), 'A gets a presence frame with both')
  })

  await t.test('typing notices cross instances', async (t) => {
    let mark = onB.frames.length
    onA.send({ type: 'typing', room: room.id })
    const typing = await onB.next((f) => f.type === 'typing', 10_000, mark)
    t.same(typing, { type: 'typing', room: room.id, user: alice.userId })
    mark = onA.frames.length
    onB.send({ type: 'typing', room: room.id })
    t.same(await onA.next((f) => f.type === 'typing', 10_000, mark), {
      type: 'typing',
      room: room.id,
      user: bob.userId,
    })
    t.notOk(
      onA.frames.some((f) => f.type === 'typing' && f.user === alice.userId),
      'nobody is told about their own typing',
    )
  })

  await t.test("when B's socket closes, A sees a presence frame without B", async (t) => {
    const mark = onA.frames.length
    onB.close()
    await onB.waitClosed()
    const seen = await onA.next(
      (f) => f.type === 'presence' && f.room === room.id && !f.online.includes(bob.userId),
      10_000,
      mark,
    )
    t.same(seen.online, [alice.userId])
    const members = (await call(b, 'GET', `/api/rooms/${room.id}/members`, { as: alice })).body.items
    t.same(
      Object.fromEntries(members.map((m: any) => [m.user.id, m.online])),
      { [admin.userId]: false, [alice.userId]: true, [bob.userId]: false },
      'the member list agrees, read on the other instance',
    )
    // Back on B for what follows; A sees B again.
    onB = (await joinOn(urlB, bob.token)).s
    await onA.next((f) => f.type === 'presence' && f.online.includes(bob.userId), 10_000, mark)
  })

  await t.test('a leave over HTTP on A ends live delivery to the socket on B', async (t) => {
    // A message reaches both first, so both are live.
    onA.send({ type: 'send', room: room.id, clientMsgId: 'before-leave', text: 'still here?' })
    await onB.next((f) => f.type === 'message' && f.message.clientMsgId === 'before-leave', 10_000)
    const markA = onA.frames.length
    t.equal((await call(a, 'POST', `/api/rooms/${room.id}/leave`, { as: bob })).status, 204)
    t.same(await onB.next((f) => f.type === 'removed', 10_000), {
      type: 'removed',
      room: room.id,
      reason: 'left',
    })
    const mark = onB.frames.length
    onA.send({ type: 'send', room: room.id, clientMsgId: 'after-leave', text: 'gone' })
    await onA.next((f) => f.type === 'message' && f.message.clientMsgId === 'after-leave', 10_000)
    t.ok(
      await onA.next((f) => f.type === 'presence' && !f.online.includes(bob.userId), 10_000, markA),
      'A sees B leave the online list',
    )
    await new Promise((r) => setTimeout(r, 500)) // a message wrongly sent to B would be here by now
    t.same(
      onB.frames.slice(mark).filter((f) => f.type === 'message'),
      [],
      'the socket on B gets no further messages',
    )
    t.equal(onB.closed, null, 'the socket itself stays open')
    const mark2 = onB.frames.length
    onB.send({ type: 'send', room: room.id, clientMsgId: 'not-a-member', text: 'let me in' })
    const refused = await onB.next((f) => f.type === 'error', 10_000, mark2)
    t.match(refused, { code: 'NOT_MEMBER', ref: 'not-a-member' }, 'and it may no longer send there')
  })

  await t.test('a ban on B closes the banned user’s sockets on A with 4001', async (t) => {
    const carol = await newUser(a)
    t.equal((await call(a, 'POST', `/api/rooms/${room.id}/join`, { as: carol })).status, 200)
    const first = (await joinOn(urlA, carol.token)).s
    const second = await connect(urlA, { token: carol.token }) // not following any room
    sockets.push(second)
    await onA.next((f) => f.type === 'presence' && f.online.includes(carol.userId), 10_000)
    const mark = onA.frames.length
    const adminOnB = await loginAdmin(b)
    const res = await call(b, 'PATCH', `/api/admin/users/${carol.userId}`, {
      as: adminOnB,
      body: { banned: true },
    })
    t.equal(res.status, 200)
    t.equal((await first.waitClosed(10_000)).code, 4001, 'the socket in the room is closed with 4001')
    t.equal((await second.waitClosed(10_000)).code, 4001, 'so is the one in no room')
    await t.rejects(connect(urlA, { token: carol.token }), { status: 401 } as any, 'and may not come back')
    const gone = await onA.next(
      (f) => f.type === 'presence' && !f.online.includes(carol.userId),
      10_000,
      mark,
    )
    t.same(gone.online, [alice.userId], 'and A sees the banned user go offline')
  })
})
