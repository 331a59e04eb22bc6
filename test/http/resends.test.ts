// A resend (the same clientMsgId) of a stored message over HTTP, on the run's backend: it gets the
// first answer whatever came since (a mute, the rate limit, the deletion of the message it
// replied to), and it spends no rate-limit event.
import t from 'tap'
import { type Caller, call, loginAdmin, newUser, roomWith } from '../helpers/api.ts'
import { backendName, buildTestApp, sharedEnv } from '../helpers/app.ts'

t.test(`resends over HTTP on ${backendName}`, async (t) => {
  const app = await buildTestApp(t, sharedEnv(t, { RATE_MESSAGE_USER: '3' }))
  const admin = await loginAdmin(app)
  const send = (id: string, as: Caller, clientMsgId: string, extra: object = {}) =>
    call(app, 'POST', `/api/rooms/${id}/messages`, { as, body: { text: 'hello', clientMsgId, ...extra } })

  t.test('muted since: the resend gets the first message, a new send MUTED', async (t) => {
    const ann = await newUser(app)
    const id = await roomWith({ create: app }, admin, [ann], 'resend-muted')
    const first = await send(id, ann, 'm1')
    t.equal(first.status, 201)
    await call(app, 'POST', `/api/rooms/${id}/members/${ann.userId}/mute`, {
      as: admin,
      body: { minutes: 10 },
    })
    const again = await send(id, ann, 'm1')
    t.equal(again.status, 201, 'not MUTED')
    t.same(again.body.message, first.body.message, 'the message stored first')
    const fresh = await send(id, ann, 'm2')
    t.same([fresh.status, fresh.body.code], [403, 'MUTED'])
    const history = await call(app, 'GET', `/api/rooms/${id}/messages`, { as: ann })
    t.equal(history.body.items.length, 1, 'nothing stored twice')
  })

  t.test('rate limited since: the resend gets the first message, a new send 429', async (t) => {
    const bob = await newUser(app)
    const id = await roomWith({ create: app }, admin, [bob], 'resend-limited')
    const first = await send(id, bob, 'r1')
    for (const c of ['r2', 'r3']) t.equal((await send(id, bob, c)).status, 201)
    const refused = await send(id, bob, 'r4')
    t.equal(refused.status, 429, 'the rule is used up')
    const again = await send(id, bob, 'r1')
    t.equal(again.status, 201, 'not RATE_LIMITED')
    t.same(again.body.message, first.body.message)
  })

  t.test('resends spend no rate-limit event', async (t) => {
    const cat = await newUser(app)
    const id = await roomWith({ create: app }, admin, [cat], 'resend-free')
    const first = await send(id, cat, 'f1')
    for (let i = 0; i < 5; i++) {
      const again = await send(id, cat, 'f1')
      t.same([again.status, again.body.message?.seq], [201, first.body.message.seq], `resend ${i + 1}`)
    }
    t.same(
      [
        (await send(id, cat, 'f2')).status,
        (await send(id, cat, 'f3')).status,
        (await send(id, cat, 'f4')).status,
      ],
      [201, 201, 429],
      'the two events left of the three are still there, and no more',
    )
  })

  t.test('the message replied to deleted since: the resend gets the first message', async (t) => {
    const dan = await newUser(app)
    const id = await roomWith({ create: app }, admin, [dan], 'resend-reply')
    t.equal((await send(id, admin, 'q1')).status, 201)
    const reply = await send(id, dan, 'a1', { replyTo: 1 })
    t.equal(reply.status, 201)
    t.equal((await call(app, 'DELETE', `/api/rooms/${id}/messages/1`, { as: admin })).status, 204)
    const again = await send(id, dan, 'a1', { replyTo: 1 })
    t.equal(again.status, 201, 'not DELETED')
    t.equal(again.body.message.id, reply.body.message.id)
    t.same((await send(id, dan, 'a2', { replyTo: 1 })).body.code, 'DELETED', 'a new reply to it is refused')
  })
})
