// Notifications and resets across instances over MongoDB-wire + Redis: two instances working one
// queue send each event's push once (asserted again after a wait long enough to see a second),
// whichever instance stored the message; a password reset on one revokes the user's sessions on
// the other; and an instance SIGKILLed with due notifications queued leaves them to the
// survivor, which sends each once.
import { MongoClient } from 'mongodb'
import t from 'tap'
import webpush from 'web-push'
import { type Caller, call, login, loginAdmin, newUser, roomWith } from '../helpers/api.ts'
import { buildTestApp, sharedEnv } from '../helpers/app.ts'
import { startCluster } from '../helpers/cluster.ts'
import { expectHttp, http } from '../helpers/http-caller.ts'
import { PushService } from '../helpers/push-service.ts'
import { mongoUrl, needServer, redisUrl } from '../helpers/servers.ts'
import { sleep, until } from '../helpers/wait.ts'

const vapid = webpush.generateVAPIDKeys()
const pushEnv = {
  PUSH_ALLOW_HTTP: 'true',
  VAPID_PUBLIC_KEY: vapid.publicKey,
  VAPID_PRIVATE_KEY: vapid.privateKey,
  NOTIFY_DELAY_SECONDS: '1',
}
/** Long enough for a second push of an event to show up: a poll round and a retry's first backoff. */
const SECOND_LOOK_MS = 4000

t.test('two instances: one push per event, resets revoke everywhere', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl) || !needServer(t, 'Redis', redisUrl)) return
  const service = new PushService(vapid.publicKey)
  await service.start()
  t.teardown(() => service.stop())
  const shared = sharedEnv(t, pushEnv, { scaled: true })
  const a = await buildTestApp(t, shared)
  const b = await buildTestApp(t, shared)
  const admin = await loginAdmin(a)

  t.test('each event pushed once to each subscription, from whichever instance', async (t) => {
    const [ann, bob] = [await newUser(a), await newUser(b)]
    const phone = service.subscription()
    const laptop = service.subscription()
    for (const [app, sub] of [
      [a, phone],
      [b, laptop],
    ] as const)
      t.equal((await call(app, 'POST', '/api/push/subscriptions', { as: ann, body: sub })).status, 201)
    const room = await roomWith({ create: a, join: b }, admin, [ann, bob], 'Both')
    const seqs: number[] = []
    for (let i = 0; i < 10; i++) {
      const app = i % 2 === 0 ? a : b
      const res = await call(app, 'POST', `/api/rooms/${room}/messages`, {
        as: bob,
        body: { text: `@${ann.username} number ${i}`, clientMsgId: `n${i}` },
      })
      seqs.push(res.body.message.seq)
    }
    for (const sub of [phone, laptop])
      await until(
        () => service.of(sub.id).length >= seqs.length,
        `${seqs.length} pushes to ${sub.id}`,
        20_000,
      )
    await sleep(SECOND_LOOK_MS)
    for (const sub of [phone, laptop])
      t.same(
        service
          .of(sub.id)
          .map((r) => r.payload.seq)
          .sort((x, y) => x - y),
        seqs,
        `each event once to ${sub.id}`,
      )
    t.same(service.refused, [])
  })

  t.test('a reset on one instance revokes the sessions on the other', async (t) => {
    const cat = await newUser(a, undefined, 'cat-password-1')
    const second = await login(b, cat.username, 'cat-password-1')
    t.equal((await call(b, 'GET', '/api/me', { as: cat })).status, 200, 'B knows the first session')
    t.equal((await call(a, 'GET', '/api/me', { as: second })).status, 200, 'A knows the second')
    const link = await call(a, 'POST', `/api/admin/users/${cat.userId}/reset-link`, { as: admin })
    const token = new URL(link.body.url).searchParams.get('token')
    t.equal(
      (await call(b, 'POST', '/api/auth/password/reset', { body: { token, password: 'cat-password-2' } }))
        .status,
      204,
    )
    const statuses = async () =>
      Promise.all(
        [a, b].flatMap((app) =>
          [cat, second].map(async (s: Caller) => (await call(app, 'GET', '/api/me', { as: s })).status),
        ),
      )
    await until(async () => (await statuses()).every((s) => s === 401), 'every session refused on both', 2000)
    t.pass('both sessions refused on both instances')
    await login(a, cat.username, 'cat-password-2')
  })
})

t.test('an instance SIGKILLed with notifications queued: the survivor sends each once', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl) || !needServer(t, 'Redis', redisUrl)) return
  const service = new PushService(vapid.publicKey)
  await service.start()
  t.teardown(() => service.stop())
  const { servers, outputs, mongo } = await startCluster(
    t,
    'notifykill',
    redisUrl,
    { ...pushEnv, NOTIFY_DELAY_SECONDS: '3' },
    2,
  )
  const [doomed, survivor] = servers as [(typeof servers)[0], (typeof servers)[0]]
  const adminToken = (
    await expectHttp(200, doomed.base, 'POST', '/api/auth/login', {
      body: { username: 'admin', password: 'admin-password-1' },
    })
  ).token
  const codes = (
    await expectHttp(201, doomed.base, 'POST', '/api/admin/invite-codes', {
      token: adminToken,
      body: { count: 2 },
    })
  ).codes
  const register = async (username: string, inviteCode: string) =>
    await expectHttp(201, doomed.base, 'POST', '/api/auth/register', {
      body: { username, password: 'password-123', inviteCode },
    })
  const dee = await register('dee', codes[0].code)
  const eli = await register('eli', codes[1].code)
  const sub = service.subscription()
  await expectHttp(201, survivor.base, 'POST', '/api/push/subscriptions', { token: dee.token, body: sub })
  const dm = (
    await expectHttp(200, doomed.base, 'POST', '/api/dms', {
      token: eli.token,
      body: { userId: dee.user.id },
    })
  ).room.id
  const seqs: number[] = []
  for (let i = 0; i < 8; i++)
    seqs.push(
      (
        await expectHttp(201, doomed.base, 'POST', `/api/rooms/${dm}/messages`, {
          token: eli.token,
          body: { text: `ping ${i}`, clientMsgId: `k${i}` },
        })
      ).message.seq,
    )
  // Every event is in the queue (stored by the doomed instance), none due yet: then it dies.
  const client = new MongoClient(mongo)
  t.teardown(() => client.close())
  const events = () => client.db().collection('jobs').countDocuments({ kind: 'event', doneAt: null })
  await until(async () => (await events()) >= seqs.length, 'every event queued', 5000)
  t.equal(service.received.length, 0, 'nothing sent before the delay')
  await doomed.kill('SIGKILL')
  await until(
    () => service.of(sub.id).length >= seqs.length,
    () => `${seqs.length} pushes; ${outputs()}`,
    30_000,
  )
  await sleep(SECOND_LOOK_MS)
  t.same(
    service
      .of(sub.id)
      .map((r) => r.payload.seq)
      .sort((x, y) => x - y),
    seqs,
    'each once, from the survivor',
  )
  t.equal((await http(survivor.base, 'GET', '/healthz')).status, 200)
})
