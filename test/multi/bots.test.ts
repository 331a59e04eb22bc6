// Bots and webhooks across two server processes over one Redis and one MongoDB-wire server:
// a bot token rotated on A is refused on B at once (B had it cached) and the bot's socket on B
// is closed; the new token works on B; a webhook deleted on A answers 404 on B at once.
import t from 'tap'
import { startCluster } from '../helpers/cluster.ts'
import { expectHttp, http } from '../helpers/http-caller.ts'
import type { ServerProcess } from '../helpers/instance.ts'
import { mongoUrl, needServer, redisUrl } from '../helpers/servers.ts'
import { connect } from '../helpers/ws.ts'

t.test('bots across instances', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl) || !needServer(t, 'Redis', redisUrl)) return
  const { servers, outputs } = await startCluster(t, 'bots', redisUrl!, {}, 2)
  const [a, b] = servers as [ServerProcess, ServerProcess]
  t.teardown(() => {
    if (t.passing()) return
    t.comment(outputs())
  })
  const { token: admin } = await expectHttp(200, a.base, 'POST', '/api/auth/login', {
    body: { username: 'admin', password: 'admin-password-1' },
  })

  t.test('a token rotated on A is refused on B at once, and its socket on B closes', async (t) => {
    const made = await expectHttp(201, a.base, 'POST', '/api/admin/bots', {
      token: admin,
      body: { username: 'relay-bot', displayName: 'Relay' },
    })
    const old: string = made.token
    t.equal(
      (await http(b.base, 'GET', '/api/me', { token: old })).status,
      200,
      'B accepts it (and caches it)',
    )
    const socket = await connect(b.wsUrl, { token: old })
    t.teardown(() => socket.close())

    const { token: fresh } = await expectHttp(201, a.base, 'DELETE', `/api/admin/bots/${made.bot.id}/token`, {
      token: admin,
    })
    const rotatedAt = Date.now()
    let status = 200
    while (status === 200 && Date.now() - rotatedAt < 1000)
      status = (await http(b.base, 'GET', '/api/me', { token: old })).status
    t.equal(status, 401, `the old token is refused on B ${Date.now() - rotatedAt} ms after the rotation`)
    t.equal((await socket.waitClosed(2000)).code, 4001, "the old token's socket on B is closed")
    t.equal((await http(b.base, 'GET', '/api/me', { token: fresh })).status, 200, 'the new one works on B')
    t.equal(
      (await http(a.base, 'GET', '/api/me', { token: old })).status,
      401,
      'and the old one on A neither',
    )
  })

  t.test('a webhook deleted on A answers 404 on B at once', async (t) => {
    const room = await expectHttp(201, a.base, 'POST', '/api/rooms', {
      token: admin,
      body: { name: 'Hooks' },
    })
    const hooks = `/api/rooms/${room.room.id}/webhooks`
    const hook = await expectHttp(201, a.base, 'POST', hooks, { token: admin, body: { name: 'CI' } })
    const path = new URL(hook.url).pathname
    t.equal((await http(b.base, 'POST', path, { body: { text: 'via B' } })).status, 201)
    await expectHttp(204, a.base, 'DELETE', `${hooks}/${hook.id}`, { token: admin })
    t.equal(
      (await http(b.base, 'POST', path, { body: { text: 'after' } })).status,
      404,
      'the first post after',
    )
  })
})
