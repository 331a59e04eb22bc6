// Bot accounts over HTTP and the socket on the run's backend: created by admins only, with a
// token shown once; the token works on every route and on the socket as a member's session
// does; no password login, no VIP needed to join, no admin role; a rotation refuses the old
// token at once (and closes its socket) while the new one works; audited; the badge is in the
// user view and in history.
import t from 'tap'
import { call, loginAdmin, newUser } from '../helpers/api.ts'
import { backendName, buildTestApp } from '../helpers/app.ts'
import { connect, joinRoom, listen } from '../helpers/ws.ts'

t.test(`bots on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const admin = await loginAdmin(app)
  const person = await newUser(app)
  const create = (body: object, as = admin) => call(app, 'POST', '/api/admin/bots', { as, body })

  const made = await create({ username: 'deploy-bot', displayName: 'Deploy Bot' })
  t.equal(made.status, 201, made.body?.message)
  const bot = made.body.bot
  let token: string = made.body.token
  const asBot = () => ({ token, userId: bot.id, username: 'deploy-bot' })

  t.test('create: admins only, a unique username, a token shown once', async (t) => {
    t.match(bot, { username: 'deploy-bot', displayName: 'Deploy Bot', role: 'user', bot: true })
    t.match(token, /^rcb_[0-9a-f]{24}_[A-Za-z0-9_-]{43}$/, 'a recognisable token')
    t.equal((await create({ username: 'other-bot', displayName: 'Other' }, person)).status, 403)
    t.equal(
      (await call(app, 'POST', '/api/admin/bots', { body: { username: 'x-bot', displayName: 'X' } })).status,
      401,
    )
    t.equal((await create({ username: 'DEPLOY-bot', displayName: 'Again' })).body.code, 'USERNAME_TAKEN')
    t.equal((await create({ username: 'no', displayName: 'Short' })).status, 400, 'the username rule holds')
    const list = await call(app, 'GET', '/api/admin/bots', { as: admin })
    t.equal(list.status, 200)
    t.same(
      list.body.items.map((u: any) => u.id),
      [bot.id],
    )
    t.equal((await call(app, 'GET', '/api/admin/bots', { as: person })).status, 403)
    const stored = await app.core.internals.store.bots.token(token.slice(4, 28))
    t.ok(stored, 'the token is stored under its session')
    t.not(stored!.hash, token, 'hashed')
    t.notOk(JSON.stringify(stored).includes(token.slice(29)), 'the secret is not stored')
  })

  t.test('the token works on HTTP routes; the user view carries the badge', async (t) => {
    const me = await call(app, 'GET', '/api/me', { as: asBot() })
    t.equal(me.status, 200, me.body?.message)
    t.match(me.body.user, { id: bot.id, bot: true, role: 'user', vip: { active: false } })
    const seen = await call(app, 'GET', `/api/users/${bot.id}`, { as: person })
    t.equal(seen.body.user.bot, true, 'the public view says bot')
    const human = await call(app, 'GET', `/api/users/${person.userId}`, { as: person })
    t.equal(human.body.user.bot, undefined, 'a person has no badge')
    t.equal(
      (await call(app, 'GET', '/api/me', { as: `${token}x` })).status,
      401,
      'a mangled token is refused',
    )
    const forged = `${token.slice(0, -4)}AAAA`
    t.equal((await call(app, 'GET', '/api/me', { as: forged })).status, 401, 'a wrong secret is refused')
  })

  t.test('no password login, no admin role, no mail address, no codes', async (t) => {
    const login = await call(app, 'POST', '/api/auth/login', {
      body: { username: 'deploy-bot', password: 'anything-at-all' },
    })
    const wrong = await call(app, 'POST', '/api/auth/login', {
      body: { username: 'admin', password: 'wrong-password' },
    })
    t.equal(login.status, 401)
    t.same(
      [login.body.code, login.body.message],
      [wrong.body.code, wrong.body.message],
      'as a wrong password',
    )
    const promote = await call(app, 'PATCH', `/api/admin/users/${bot.id}`, {
      as: admin,
      body: { role: 'admin' },
    })
    t.same([promote.status, promote.body.code], [403, 'BOT_ACCOUNT'])
    t.equal((await call(app, 'GET', '/api/me', { as: asBot() })).body.user.role, 'user')
    const mint = await call(app, 'POST', '/api/admin/invite-codes', { as: asBot(), body: { count: 1 } })
    t.equal(mint.status, 403, 'a bot mints no codes')
    const totp = await call(app, 'POST', '/api/me/totp/setup', {
      as: asBot(),
      body: { password: 'whatever-1' },
    })
    t.not(totp.status, 200, 'no two-factor: there is no password to confirm it with')
  })

  t.test('joins a room without VIP, posts, and history shows the badge', async (t) => {
    const room = await call(app, 'POST', '/api/rooms', { as: admin, body: { name: 'Deploys' } })
    const roomId = room.body.room.id
    t.equal(
      (await call(app, 'POST', '/api/rooms', { as: asBot(), body: { name: 'Mine' } })).body.code,
      'VIP_REQUIRED',
    )
    const joined = await call(app, 'POST', `/api/rooms/${roomId}/join`, { as: asBot() })
    t.equal(joined.status, 200, joined.body?.message)
    const sent = await call(app, 'POST', `/api/rooms/${roomId}/messages`, {
      as: asBot(),
      body: { text: 'v1.2 is out', clientMsgId: 'd1' },
    })
    t.equal(sent.status, 201, sent.body?.message)
    t.match(sent.body.message.from, { id: bot.id, displayName: 'Deploy Bot', bot: true })
    const history = await call(app, 'GET', `/api/rooms/${roomId}/messages`, { as: admin })
    t.match(history.body.items.at(-1), { text: 'v1.2 is out', from: { id: bot.id, bot: true } })
    t.notOk('hook' in history.body.items.at(-1), 'not a webhook message')
    const mine = await call(app, 'POST', `/api/rooms/${roomId}/messages`, {
      as: admin,
      body: { text: 'thanks', clientMsgId: 'a1' },
    })
    t.equal(mine.body.message.from.bot, undefined, "a person's message has no badge")
  })

  t.test(
    'the token opens the socket, and a rotation closes it and refuses the old token at once',
    async (t) => {
      const url = await listen(app)
      const room = await call(app, 'POST', '/api/rooms', { as: admin, body: { name: 'Live' } })
      const roomId = room.body.room.id
      await call(app, 'POST', `/api/rooms/${roomId}/join`, { as: asBot() })
      const socket = await connect(url, { token })
      t.teardown(() => socket.close())
      await joinRoom(socket, roomId)
      socket.send({ type: 'send', room: roomId, clientMsgId: 's1', text: 'from the socket' })
      await socket.next((f) => f.type === 'ack' && f.clientMsgId === 's1')
      const ticket = await call(app, 'POST', '/api/auth/ws-ticket', { as: asBot() })
      t.equal(ticket.status, 200, 'a bot may trade its token for a ticket')

      const old = token
      const rotated = await call(app, 'DELETE', `/api/admin/bots/${bot.id}/token`, { as: admin })
      t.equal(rotated.status, 201, rotated.body?.message)
      token = rotated.body.token
      t.not(token, old)
      t.equal(
        (await call(app, 'GET', '/api/me', { as: old })).status,
        401,
        'the old token is refused at once',
      )
      t.equal((await call(app, 'GET', '/api/me', { as: token })).status, 200, 'the new one works')
      t.equal((await socket.waitClosed()).code, 4001, "the old token's socket is closed")
      await t.rejects(connect(url, { token: old }), { status: 401 } as any, 'and cannot open another')
      const fresh = await connect(url, { token })
      fresh.close()
      t.equal(
        (await call(app, 'DELETE', `/api/admin/bots/${person.userId}/token`, { as: admin })).status,
        404,
        'a person is not a bot',
      )
      t.equal((await call(app, 'DELETE', `/api/admin/bots/${bot.id}/token`, { as: person })).status, 403)
    },
  )

  t.test('audited: bot.create and bot.rotate', async (t) => {
    const audit = async (action: string) =>
      (await call(app, 'GET', `/api/admin/audit?action=${action}`, { as: admin })).body.items
    t.match(await audit('bot.create'), [
      { actor: { id: admin.userId }, action: 'bot.create', target: { id: bot.id, username: 'deploy-bot' } },
    ])
    t.match(await audit('bot.rotate'), [{ action: 'bot.rotate', target: { id: bot.id } }])
  })
})
