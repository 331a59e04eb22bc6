// A resend (the same clientMsgId) of a stored message on the socket, on the run's backend: the
// first ack whatever came since (a mute, the rate limit), and no rate-limit event spent.
import t from 'tap'
import { call, loginAdmin, newUser, roomWith } from '../helpers/api.ts'
import { backendName, buildTestApp, sharedEnv } from '../helpers/app.ts'
import { joinRoom, listen, type RawSocket, socketOpener } from '../helpers/ws.ts'

t.test(`resends on the socket on ${backendName}`, async (t) => {
  const app = await buildTestApp(t, sharedEnv(t, { RATE_MESSAGE_USER: '3' }))
  const url = await listen(app)
  const admin = await loginAdmin(app)
  const open = socketOpener(t)
  /** Sends on the socket; resolves with the ack or error frame that answers it. */
  const send = async (s: RawSocket, room: string, clientMsgId: string) => {
    const from = s.frames.length
    s.send({ type: 'send', room, clientMsgId, text: 'hello' })
    const f = await s.next(
      (f) =>
        (f.type === 'ack' && f.clientMsgId === clientMsgId) || (f.type === 'error' && f.ref === clientMsgId),
      5000,
      from,
    )
    return f.type === 'ack' ? { seq: f.seq, id: f.id, createdAt: f.createdAt } : { code: f.code }
  }

  t.test('muted since: the first ack; a new send MUTED', async (t) => {
    const ann = await newUser(app)
    const id = await roomWith({ create: app }, admin, [ann], 'ws-resend-muted')
    const s = await open(url, ann)
    await joinRoom(s, id)
    const first = await send(s, id, 'm1')
    t.match(first, { seq: 1 })
    await call(app, 'POST', `/api/rooms/${id}/members/${ann.userId}/mute`, {
      as: admin,
      body: { minutes: 10 },
    })
    t.same(await send(s, id, 'm1'), first, 'the first ack, not MUTED')
    t.same(await send(s, id, 'm2'), { code: 'MUTED' })
    t.equal(s.messages(id).length, 1, 'one message delivered')
  })

  t.test('rate limited since: the first ack; resends spend nothing', async (t) => {
    const bob = await newUser(app)
    const id = await roomWith({ create: app }, admin, [bob], 'ws-resend-limited')
    const s = await open(url, bob)
    await joinRoom(s, id)
    const first = await send(s, id, 'r1')
    for (let i = 0; i < 4; i++) t.same(await send(s, id, 'r1'), first, `resend ${i + 1}: the first ack`)
    const second = await send(s, id, 'r2')
    t.match(second, { seq: 2 }, 'the resends left the rule its events')
    t.match(await send(s, id, 'r3'), { seq: 3 })
    t.same(await send(s, id, 'r4'), { code: 'RATE_LIMITED' }, 'used up')
    t.same(await send(s, id, 'r2'), second, 'past the limit, a resend still gets its first ack')
  })
})
