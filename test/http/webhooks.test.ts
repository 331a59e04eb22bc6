// Incoming webhooks over HTTP on the run's backend: created by the room's creator or an admin
// (a cap per room), the URL shown once; a post is a message in history and live on a joined
// socket with the webhook's name; a wrong secret answers exactly as an unknown id; a flood gets
// 429 with Retry-After; a deleted webhook or room answers 404; audited.
import t from 'tap'
import { call, loginAdmin, newUser } from '../helpers/api.ts'
import { backendName, buildTestApp, sharedEnv } from '../helpers/app.ts'
import { connect, joinRoom, listen } from '../helpers/ws.ts'

const pathOf = (url: string) => new URL(url).pathname

t.test(`incoming webhooks on ${backendName}`, async (t) => {
  const app = await buildTestApp(t, sharedEnv(t, { RATE_WEBHOOK: '5' }))
  const admin = await loginAdmin(app)
  const [owner, member] = [await newUser(app), await newUser(app)]
  await app.core.internals.store.users.extendVip(owner.userId, 30, new Date())
  const roomId = (await call(app, 'POST', '/api/rooms', { as: owner, body: { name: 'CI' } })).body.room.id
  await call(app, 'POST', `/api/rooms/${roomId}/join`, { as: member })
  const hooks = `/api/rooms/${roomId}/webhooks`

  const made = await call(app, 'POST', hooks, { as: owner, body: { name: 'GitHub' } })
  t.equal(made.status, 201, made.body?.message)
  const { id, url } = made.body
  const post = (path: string, body: object) => call(app, 'POST', path, { body })

  t.test('create: the creator or an admin, a URL with its secret, listed without it', async (t) => {
    t.match(url, new RegExp(`^http://localhost(:\\d+)?/hooks/${id}/[A-Za-z0-9_-]{43}$`))
    t.match(made.body.webhook, { id, room: roomId, name: 'GitHub', createdBy: { id: owner.userId } })
    t.equal((await call(app, 'POST', hooks, { as: member, body: { name: 'Mine' } })).status, 403)
    t.equal((await call(app, 'POST', hooks, { body: { name: 'Anon' } })).status, 401)
    t.equal((await call(app, 'POST', hooks, { as: owner, body: { name: '' } })).status, 400)
    const byAdmin = await call(app, 'POST', hooks, { as: admin, body: { name: 'Sentry' } })
    t.equal(byAdmin.status, 201, 'an admin may')
    const list = await call(app, 'GET', hooks, { as: owner })
    t.same(
      list.body.items.map((h: any) => h.name),
      ['GitHub', 'Sentry'],
    )
    t.notOk(JSON.stringify(list.body).includes(pathOf(url).split('/')[3]!), 'no secret in the list')
    t.equal((await call(app, 'GET', hooks, { as: member })).status, 403)
    t.equal((await call(app, 'DELETE', `${hooks}/${byAdmin.body.id}`, { as: owner })).status, 204)
  })

  t.test('a cap per room', async (t) => {
    const other = (await call(app, 'POST', '/api/rooms', { as: admin, body: { name: 'Capped' } })).body.room
      .id
    const statuses: number[] = []
    for (let i = 0; i < 11; i++)
      statuses.push(
        (await call(app, 'POST', `/api/rooms/${other}/webhooks`, { as: admin, body: { name: `h${i}` } }))
          .status,
      )
    t.same(statuses, [...Array(10).fill(201), 409])
    const full = await call(app, 'POST', `/api/rooms/${other}/webhooks`, {
      as: admin,
      body: { name: 'more' },
    })
    t.equal(full.body.code, 'TOO_MANY_WEBHOOKS')
    const [first] = (await call(app, 'GET', `/api/rooms/${other}/webhooks`, { as: admin })).body.items
    await call(app, 'DELETE', `/api/rooms/${other}/webhooks/${first.id}`, { as: admin })
    const again = await call(app, 'POST', `/api/rooms/${other}/webhooks`, {
      as: admin,
      body: { name: 'again' },
    })
    t.equal(again.status, 201, 'a deletion frees a place')
  })

  t.test('a post is a message: in history and live, with the webhook name', async (t) => {
    const socket = await connect(await listen(app), { token: member.token })
    t.teardown(() => socket.close())
    await joinRoom(socket, roomId)
    const res = await post(pathOf(url), { text: 'build #42 passed' })
    t.equal(res.status, 201, res.body?.message)
    t.type(res.body.seq, 'number')
    const live = await socket.next((f) => f.type === 'message' && f.message.seq === res.body.seq)
    t.match(live.message, {
      text: 'build #42 passed',
      from: { id, username: 'webhook', displayName: 'GitHub', bot: true },
      hook: { id, name: 'GitHub' },
    })
    const named = await post(pathOf(url), { text: 'deployed', displayName: 'Deployer' })
    const history = await call(app, 'GET', `/api/rooms/${roomId}/messages`, { as: member })
    t.match(history.body.items.at(-1), {
      seq: named.body.seq,
      text: 'deployed',
      from: { displayName: 'Deployer', bot: true },
      hook: { id, name: 'GitHub' },
    })
    const unread = await call(app, 'GET', '/api/me/unread', { as: member })
    t.ok(
      unread.body.items.some((u: any) => u.room === roomId && u.unread >= 2),
      "the webhook's messages count as unread",
    )
  })

  t.test('the same 404 for a wrong secret, an unknown id, a malformed one; 400 for a bad body', async (t) => {
    const [, , , secret] = pathOf(url).split('/')
    const wrong = await post(`/hooks/${id}/${'A'.repeat(43)}`, { text: 'x' })
    const unknown = await post(`/hooks/${'0'.repeat(24)}/${secret}`, { text: 'x' })
    const malformed = await post('/hooks/nothing/at-all', { text: 'x' })
    for (const r of [wrong, unknown, malformed]) t.equal(r.status, 404)
    t.same(wrong.body, unknown.body, 'wrong secret = unknown id')
    t.same(wrong.body, malformed.body)
    t.equal((await post(pathOf(url), { text: '' })).status, 400)
    t.equal((await post(pathOf(url), { text: 'x'.repeat(4001) })).status, 400)
    t.equal((await post(pathOf(url), { text: 'x', displayName: 'd'.repeat(65) })).status, 400)
  })

  t.test('a flood: 429 with Retry-After', async (t) => {
    const flood = await call(app, 'POST', hooks, { as: owner, body: { name: 'Flood' } })
    const statuses: number[] = []
    let last: Awaited<ReturnType<typeof post>> | undefined
    for (let i = 0; i < 6; i++) {
      last = await post(pathOf(flood.body.url), { text: `n${i}` })
      statuses.push(last.status)
    }
    t.same(statuses, [201, 201, 201, 201, 201, 429])
    t.equal(last!.body.code, 'RATE_LIMITED')
    t.ok(Number(last!.headers['retry-after']) >= 1, 'with Retry-After')
    t.equal((await post(pathOf(url), { text: 'other hook' })).status, 201, 'per hook')
  })

  t.test('a deleted webhook, or its deleted room, answers 404 at once', async (t) => {
    const gone = await call(app, 'POST', hooks, { as: owner, body: { name: 'Gone' } })
    t.equal((await post(pathOf(gone.body.url), { text: 'before' })).status, 201)
    t.equal((await call(app, 'DELETE', `${hooks}/${gone.body.id}`, { as: owner })).status, 204)
    t.equal((await post(pathOf(gone.body.url), { text: 'after' })).status, 404)
    t.equal((await call(app, 'DELETE', `${hooks}/${gone.body.id}`, { as: owner })).status, 404)
    const room = (await call(app, 'POST', '/api/rooms', { as: owner, body: { name: 'Doomed' } })).body.room.id
    const hook = await call(app, 'POST', `/api/rooms/${room}/webhooks`, { as: owner, body: { name: 'D' } })
    t.equal((await call(app, 'DELETE', `/api/rooms/${room}`, { as: owner })).status, 204)
    t.equal((await post(pathOf(hook.body.url), { text: 'after' })).status, 404)
  })

  t.test('no cookie or CSRF on /hooks: a foreign Origin is fine', async (t) => {
    const res = await call(app, 'POST', pathOf(url), {
      body: { text: 'from elsewhere' },
      headers: { origin: 'https://evil.example' },
    })
    t.equal(res.status, 201)
  })

  t.test('audited: webhook.create and webhook.delete', async (t) => {
    const audit = async (action: string) =>
      (await call(app, 'GET', `/api/admin/audit?action=${action}&target=${roomId}`, { as: admin })).body.items
    const created = await audit('webhook.create')
    t.match(created.at(-1), {
      actor: { id: owner.userId },
      target: { id: roomId, name: 'CI' },
      details: { hook: { id, name: 'GitHub' } },
    })
    t.ok((await audit('webhook.delete')).length >= 1)
  })
})
