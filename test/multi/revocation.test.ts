// Two instances over one Redis and one MongoDB-wire server, as behind a load balancer.
import t from 'tap'
import { CHECK_MS, revokedChannel } from '../../src/accounts/sessions.ts'
import { openMongoStore } from '../../src/store/mongo/index.ts'
import { call, login, newUser, sessionOf } from '../helpers/api.ts'
import { buildTestApp, sharedEnv } from '../helpers/app.ts'
import { startDyingWriter } from '../helpers/dying-writer.ts'
import { mongoUrl, needServer, redisUrl } from '../helpers/servers.ts'
import { connect, listen } from '../helpers/ws.ts'

t.test('sessions across instances', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl) || !needServer(t, 'Redis', redisUrl)) return
  const shared = sharedEnv(t, {}, { scaled: true })
  const a = await buildTestApp(t, shared)
  const b = await buildTestApp(t, shared)
  t.equal(a.core.backend.store, 'mongodb')
  t.equal(b.core.backend.bus, 'redis')

  t.test('a logout on A rejects the same token on B within one second', async (t) => {
    const user = await newUser(a, 'roamer', 'password-123')
    t.equal(
      (await call(b, 'GET', '/api/me', { as: user })).status,
      200,
      'B accepts the token (and caches the session)',
    )
    const started = Date.now()
    t.equal((await call(a, 'POST', '/api/auth/logout', { as: user })).status, 204)
    let status = 200
    while (status === 200 && Date.now() - started < 1000) {
      status = (await call(b, 'GET', '/api/me', { as: user })).status
      if (status === 200) await new Promise((r) => setTimeout(r, 10))
    }
    t.equal(status, 401, `rejected on B after ${Date.now() - started} ms`)
  })

  t.test('a ban on B revokes every session of the user on A', async (t) => {
    const user = await newUser(a, 'troll', 'password-123')
    const second = await login(a, 'troll', 'password-123')
    const admin = await login(b, 'admin', 'admin-password-1')
    t.equal((await call(a, 'GET', '/api/me', { as: second })).status, 200)
    await call(b, 'PATCH', `/api/admin/users/${user.userId}`, { as: admin, body: { banned: true } })
    const deadline = Date.now() + 1000
    let statuses: number[] = []
    do {
      statuses = [
        (await call(a, 'GET', '/api/me', { as: user })).status,
        (await call(a, 'GET', '/api/me', { as: second })).status,
      ]
    } while (statuses.includes(200) && Date.now() < deadline)
    t.same(statuses, [401, 401])
  })

  t.test(
    'a logout whose writer was killed before its notice: B notices within two checks and closes the socket',
    async (t) => {
      const user = await newUser(a, 'forgotten', 'password-123')
      const socket = await connect(await listen(b), { token: user.token })
      t.teardown(() => socket.close())
      t.equal((await call(b, 'GET', '/api/me', { as: user })).status, 200, 'B knows the session')
      // The writer: a third instance, a process of its own, asked to log the session out. It
      // takes its ticket, revokes the session in the store, and is SIGKILLed at the publish of
      // its notice.
      const sid = sessionOf(user.token)
      const writer = await startDyingWriter(t, shared.env, revokedChannel.name, sid)
      const { exitCode, answer } = await writer.killDuring('/api/auth/logout', user.token)
      const stoppedAt = Date.now()
      t.equal(exitCode, null, 'the writer was killed')
      t.equal(answer, 'cut', 'the logout was never answered')
      t.not(
        (await b.core.internals.store.sessions.get(sid))?.revokedAt ?? null,
        null,
        'the store has the revocation',
      )
      t.equal((await call(b, 'GET', '/api/me', { as: user })).status, 200, 'B does not know yet')
      const closed = await socket.waitClosed(2 * CHECK_MS + 2000)
      const after = Date.now() - stoppedAt
      t.equal(
        closed.code,
        4001,
        `the socket on B closed with 4001 ${(after / 1000).toFixed(1)} s after the writer died`,
      )
      t.ok(after <= 2 * CHECK_MS + 1000, 'within two checks')
      t.equal((await call(b, 'GET', '/api/me', { as: user })).status, 401, 'and the token is refused on B')
      t.match(
        (await b.metricsText()).text,
        /bus_notices_lost_total\{channel="auth:revoked"\} 1\n/,
        'counted in /metrics',
      )
    },
  )

  t.test('revocations of the version before tickets and of this one understand each other', async (t) => {
    t.same(
      JSON.parse(revokedChannel.encode({ n: 7, e: [{ userId: 'u', sessions: ['s'] }] })),
      { n: 7, userId: 'u', sessions: ['s'] },
      'sent in the old shape plus n, which the old version reads',
    )
    const user = await newUser(a, 'upgraded', 'password-123')
    const socket = await connect(await listen(a), { token: user.token })
    t.teardown(() => socket.close())
    const sid = sessionOf(user.token)
    // An instance of the old version revoked it: the store write, then the old notice.
    const raw = await openMongoStore(shared.env.MONGODB_URL!)
    t.teardown(() => raw.close())
    await raw.sessions.revoke(sid, new Date())
    await b.core.internals.bus.publish(
      revokedChannel.name,
      JSON.stringify({ userId: user.userId, sessions: [sid] }),
    )
    t.equal((await socket.waitClosed(5000)).code, 4001, 'the socket on A closes at once')
    t.equal((await call(a, 'GET', '/api/me', { as: user })).status, 401)
  })

  t.test('a ws-ticket issued by A is redeemed once, on B', async (t) => {
    const user = await newUser(a)
    const { body } = await call(a, 'POST', '/api/auth/ws-ticket', { as: user })
    t.equal((await b.core.tickets.redeem(body.ticket))?.userId, user.userId)
    t.equal(await a.core.tickets.redeem(body.ticket), null)
  })

  t.test('login rate limits are shared by the instances', async (t) => {
    const limited = sharedEnv(t, { RATE_LOGIN_USER: '4' }, { scaled: true })
    const x = await buildTestApp(t, limited)
    const y = await buildTestApp(t, limited)
    const attempt = (app: typeof x) =>
      call(app, 'POST', '/api/auth/login', { body: { username: 'target', password: 'guess-guess' } })
    const statuses = [
      await attempt(x),
      await attempt(y),
      await attempt(x),
      await attempt(y),
      await attempt(x),
    ].map((r) => r.status)
    t.same(statuses, [401, 401, 401, 401, 429])
  })
})
