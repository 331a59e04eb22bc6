// A resend across two instances over MongoDB-wire + Redis: the mute set on one instance and the
// rate limit counted in Redis do not turn a resend on the other into a refusal, and resends on
// either instance spend none of the limit the two share.
import t from 'tap'
import { type Caller, call, loginAdmin, newUser, roomWith } from '../helpers/api.ts'
import { buildTestApp, sharedEnv } from '../helpers/app.ts'
import { mongoUrl, needServer, redisUrl } from '../helpers/servers.ts'

t.test('resends across instances', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl) || !needServer(t, 'Redis', redisUrl)) return
  const shared = sharedEnv(t, { RATE_MESSAGE_USER: '3' }, { scaled: true })
  const a = await buildTestApp(t, shared)
  const b = await buildTestApp(t, shared)
  const admin = await loginAdmin(a)
  const send = (app: typeof a, id: string, as: Caller, clientMsgId: string) =>
    call(app, 'POST', `/api/rooms/${id}/messages`, { as, body: { text: 'hello', clientMsgId } })

  t.test('sent on A, muted on A, resent on B: the first message', async (t) => {
    const ann = await newUser(a)
    const id = await roomWith({ create: a, join: b }, admin, [ann], 'multi-resend-muted')
    const first = await send(a, id, ann, 'm1')
    t.equal(first.status, 201)
    // B knows ann as an unmuted member before the mute (a send of hers there).
    t.equal((await send(b, id, ann, 'm0')).status, 201)
    await call(a, 'POST', `/api/rooms/${id}/members/${ann.userId}/mute`, { as: admin, body: { minutes: 10 } })
    t.same((await send(b, id, ann, 'mx')).body.code, 'MUTED', 'B knows of the mute')
    const again = await send(b, id, ann, 'm1')
    t.equal(again.status, 201)
    t.same(again.body.message, first.body.message)
  })

  t.test(
    'the limit shared in Redis: resends on B spend none of it, past it they get the first message',
    async (t) => {
      const bob = await newUser(a)
      const id = await roomWith({ create: a, join: b }, admin, [bob], 'multi-resend-limited')
      const first = await send(a, id, bob, 'r1')
      for (let i = 0; i < 4; i++)
        t.same(
          (await send(b, id, bob, 'r1')).body.message?.seq,
          first.body.message.seq,
          `resend ${i + 1} on B`,
        )
      t.equal((await send(a, id, bob, 'r2')).status, 201)
      t.equal((await send(b, id, bob, 'r3')).status, 201)
      t.equal((await send(a, id, bob, 'r4')).status, 429, 'three events, counted on both')
      const again = await send(b, id, bob, 'r1')
      t.same([again.status, again.body.message?.id], [201, first.body.message.id])
    },
  )
})
