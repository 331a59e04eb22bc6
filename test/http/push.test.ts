// Web Push over HTTP on the run's backend, against a push service on loopback
// (test/helpers/push-service.ts) that checks every request's VAPID JWT against GET
// /api/push/key and decrypts every payload with the browser's private key: a mention, a reply
// and a direct message to someone away each arrive once, with the contract's payload and a TTL;
// nothing for a room followed on a live socket, for a message read before it was due, for a
// room set to "none"; every message of a room set to "all"; a 410 removes the subscription; a
// 503 with Retry-After is tried again until the 201; subscriptions are the user's own.
import t from 'tap'
import webpush from 'web-push'
import { eventJobId } from '../../src/notify/trigger.ts'
import { type Caller, call, loginAdmin, newUser, roomWith } from '../helpers/api.ts'
import { backendName, buildTestApp, scaled, sharedEnv } from '../helpers/app.ts'
import { PushService } from '../helpers/push-service.ts'
import { until } from '../helpers/wait.ts'
import { connect, joinRoom, listen } from '../helpers/ws.ts'

t.test(`web push on ${backendName}`, async (t) => {
  const service = new PushService()
  await service.start()
  t.teardown(() => service.stop())
  const vapid = webpush.generateVAPIDKeys()
  const app = await buildTestApp(
    t,
    sharedEnv(t, {
      PUSH_ALLOW_HTTP: 'true',
      NOTIFY_DELAY_SECONDS: '1',
      VAPID_PUBLIC_KEY: vapid.publicKey,
      VAPID_PRIVATE_KEY: vapid.privateKey,
      VAPID_SUBJECT: 'mailto:ops@example.org',
    }),
  )
  const key = await call(app, 'GET', '/api/push/key')
  t.same(key, {
    status: 200,
    body: { publicKey: vapid.publicKey },
    headers: key.headers,
    cookies: key.cookies,
  })
  service.setVapidKey(key.body.publicKey)
  const admin = await loginAdmin(app)

  const subscribe = async (user: Caller, script: Parameters<PushService['subscription']>[0] = []) => {
    const browser = service.subscription(script)
    const res = await call(app, 'POST', '/api/push/subscriptions', { as: user, body: browser })
    t.equal(res.status, 201, JSON.stringify(res.body))
    return { ...browser, serverId: res.body.id as string }
  }
  const say = async (user: Caller, room: string, text: string, extra: object = {}) => {
    const res = await call(app, 'POST', `/api/rooms/${room}/messages`, {
      as: user,
      body: { text, clientMsgId: `c${Math.random()}`, ...extra },
    })
    t.equal(res.status, 201, JSON.stringify(res.body))
    return res.body.message as { seq: number; id: string }
  }
  const pushes = (sub: { id: string }, n: number) =>
    until(
      () => service.of(sub.id).length >= n,
      () => `${n} pushes to ${sub.id}: ${JSON.stringify(service.of(sub.id))}; refused ${service.refused}`,
      15_000,
    )

  t.test('subscriptions: https only, the same endpoint updates, own ones only', async (t) => {
    const ann = await newUser(app)
    for (const endpoint of ['ftp://push.example/x', 'not a url', 'https://user:pw@push.example/x'])
      t.match(
        await call(app, 'POST', '/api/push/subscriptions', {
          as: ann,
          body: { endpoint, keys: { p256dh: 'BEl6', auth: 'abc' } },
        }),
        { status: 400, body: { code: 'VALIDATION' } },
        endpoint,
      )
    const strict = await buildTestApp(
      t,
      sharedEnv(t, { VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey }),
    )
    const bob = await newUser(strict)
    t.match(
      await call(strict, 'POST', '/api/push/subscriptions', { as: bob, body: service.subscription() }),
      { status: 400, body: { code: 'VALIDATION' } },
      'http: refused without PUSH_ALLOW_HTTP',
    )
    const browser = service.subscription()
    const first = await call(app, 'POST', '/api/push/subscriptions', { as: ann, body: browser })
    const again = await call(app, 'POST', '/api/push/subscriptions', { as: ann, body: browser })
    t.equal(first.body.id, again.body.id, 'one subscription per endpoint')
    t.equal((await call(app, 'POST', '/api/push/subscriptions', { body: browser })).status, 401)
    const cat = await newUser(app)
    t.equal((await call(app, 'DELETE', `/api/push/subscriptions/${first.body.id}`, { as: cat })).status, 404)
    t.equal((await call(app, 'DELETE', `/api/push/subscriptions/${first.body.id}`, { as: ann })).status, 204)
    t.equal((await call(app, 'DELETE', `/api/push/subscriptions/${first.body.id}`, { as: ann })).status, 404)
  })

  t.test('a mention, a reply and a direct message to someone away: one push each, decrypted', async (t) => {
    const [dan, eve] = [await newUser(app), await newUser(app)]
    const sub = await subscribe(dan)
    const room = await roomWith({ create: app }, admin, [dan, eve], 'Tea')
    const quiet = await say(dan, room, 'no one named here')
    const mention = await say(eve, room, `hello @${dan.username} ${'é'.repeat(200)}`)
    const reply = await say(eve, room, 'a reply', { replyTo: quiet.seq })
    const dm = (await call(app, 'POST', '/api/dms', { as: eve, body: { userId: dan.userId } })).body.room.id
    const direct = await say(eve, dm, 'just between us 🌱')
    await pushes(sub, 3)
    const got = service.of(sub.id).map((r) => r.payload)
    t.same(
      got.map((p) => [p.room, p.seq]).sort(),
      [
        [room, mention.seq],
        [room, reply.seq],
        [dm, direct.seq],
      ].sort(),
    )
    const m = got.find((p) => p.seq === mention.seq && p.room === room)
    t.same(m, {
      room,
      seq: mention.seq,
      from: { id: eve.userId, displayName: eve.username },
      text: [...`hello @${dan.username} ${'é'.repeat(200)}`].slice(0, 120).join(''),
      url: `/rooms/${room}?seq=${mention.seq}`,
    })
    t.equal([...m.text].length, 120, 'the first 120 code points')
    t.ok(
      service.of(sub.id).every((r) => Number(r.ttl) > 0),
      'a TTL header on each',
    )
    t.same(service.refused, [], 'every JWT and payload was good')
    t.notOk(
      service.received.some((r) => r.payload.room === room && r.payload.seq === quiet.seq),
      'nothing for a message naming no one',
    )
  })

  t.test(
    'nothing for a room followed on a socket, nor for a message read in time; "none" and "all"',
    async (t) => {
      const [fay, gus] = [await newUser(app), await newUser(app)]
      const sub = await subscribe(fay)
      const room = await roomWith({ create: app }, admin, [fay, gus], 'Lounge')
      const ws = await connect(await listen(app), { token: fay.token })
      await joinRoom(ws, room)
      const watched = await say(gus, room, `@${fay.username} you are here`)
      // Decided when due, while the socket still follows the room; then the socket goes.
      const decided = (seq: number) => async () =>
        (await app.core.internals.store.jobs.get(eventJobId(room, seq)))?.doneAt != null
      await until(decided(watched.seq), 'the event decided')
      ws.close()
      const read = await say(gus, room, `@${fay.username} read this`)
      t.equal(
        (await call(app, 'POST', `/api/rooms/${room}/read`, { as: fay, body: { seq: read.seq } })).status,
        204,
      )
      t.equal(
        (await call(app, 'PATCH', '/api/me/notifications', { as: fay, body: { rooms: { [room]: 'none' } } }))
          .status,
        200,
      )
      const muted = await say(gus, room, `@${fay.username} in a room set to none`)
      await until(decided(muted.seq), 'the event decided under "none"')
      const settings = await call(app, 'PATCH', '/api/me/notifications', {
        as: fay,
        body: { rooms: { [room]: 'all' } },
      })
      t.same(settings.body, { push: true, email: 'off', rooms: { [room]: 'all' } })
      for (const rooms of [{ 'not-a-room': 'all' }, { [room]: {} }, { [room.toUpperCase()]: 'none' }]) {
        const bad = await call(app, 'PATCH', '/api/me/notifications', { as: fay, body: { rooms } })
        t.equal(bad.status, 400, `rooms ${JSON.stringify(rooms)} refused`)
        t.equal(bad.body.code, 'VALIDATION')
      }
      t.same((await call(app, 'GET', '/api/me/notifications', { as: fay })).body, settings.body)
      const plain = await say(gus, room, 'a message naming no one, in a room set to all')
      await pushes(sub, 1)
      // Everything sent before `plain` was decided before it (due first): one push, for `plain` only.
      await until(
        async () => (await app.core.internals.store.jobs.stats(new Date())).depth === 0,
        'queue empty',
      )
      t.same(
        service.of(sub.id).map((r) => r.payload.seq),
        [plain.seq],
        `not ${watched.seq} (followed), ${read.seq} (read), ${muted.seq} (none)`,
      )
    },
  )

  t.test('410 removes the subscription; 503 with Retry-After is tried again until the 201', async (t) => {
    const [hal, ida] = [await newUser(app), await newUser(app)]
    const gone = await subscribe(hal, [{ status: 410 }])
    const flaky = await subscribe(hal, [{ status: 503, retryAfter: '1' }, { status: 503 }])
    const dm = (await call(app, 'POST', '/api/dms', { as: ida, body: { userId: hal.userId } })).body.room.id
    const m = await say(ida, dm, 'are you there?')
    await pushes(flaky, 1)
    t.equal(service.attempts.get(flaky.id), 3, 'two 503s, then the 201')
    t.same(service.of(flaky.id)[0]!.payload.seq, m.seq)
    await until(
      async () => (await app.core.internals.store.pushSubscriptions.get(gone.serverId)) === null,
      'removed',
    )
    t.same(service.of(gone.id), [])
    const subs = await app.core.internals.store.pushSubscriptions.ofUser(hal.userId)
    t.same(
      subs.map((s) => s.id),
      [flaky.serverId],
    )
    const metrics = await app.core.metrics.registry.metrics()
    t.match(metrics, /notify_subscriptions_removed_total 1/)
    t.match(metrics, /notify_sent_total\{channel="push"\} [1-9]/)
  })
})

t.test(
  scaled
    ? 'scaled without a VAPID pair: push is off (404), nothing is written to DATA_DIR'
    : 'embedded: the VAPID pair is generated once into DATA_DIR (mode 600) and kept',
  async (t) => {
    const { existsSync, statSync } = await import('node:fs')
    const shared = sharedEnv(t)
    const first = await buildTestApp(t, shared)
    const answer = await call(first, 'GET', '/api/push/key')
    if (scaled) {
      t.equal(answer.status, 404)
      t.equal(answer.body.code, 'NOT_FOUND')
      t.notOk(existsSync(`${shared.env.DATA_DIR}/vapid.json`), 'instances never make pairs of their own')
      return
    }
    const key = answer.body.publicKey
    t.match(key, /^[A-Za-z0-9_-]{87}$/)
    await first.close()
    t.equal(statSync(`${shared.env.DATA_DIR}/vapid.json`).mode & 0o777, 0o600)
    const second = await buildTestApp(t, shared)
    t.equal((await call(second, 'GET', '/api/push/key')).body.publicKey, key, 'the same after a restart')
  },
)
