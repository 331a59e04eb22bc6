// ChatHttp against the real server over fetch: signing in, VIP, rooms, history, errors.

import { ApiError, ChatHttp } from '@roomchat/client'
import t from 'tap'
import { admin, backendName, startServer } from './fixtures/setup.ts'

t.test(`the HTTP client on ${backendName}`, async (t) => {
  const server = await startServer(t)
  const root = await admin(server)
  const [invite] = await root.http.mintInviteCodes({ count: 1 })
  const [activation] = await root.http.mintActivationCodes({ count: 1, vipDays: 30 })

  const http = new ChatHttp({ baseUrl: server.base })
  t.equal(http.wsUrl(), `${server.wsUrl}`)

  t.test('register keeps the token; me answers the own view', async (t) => {
    const answer = await http.register({
      username: 'httpuser',
      password: 'password-123',
      inviteCode: invite!.code,
    })
    t.equal(http.token, answer.token)
    const me = await http.me()
    t.match(me, { username: 'httpuser', role: 'user', vip: { active: false }, rooms: [] })
  })

  t.test('errors come back as ApiError with the machine code', async (t) => {
    const err = await http.createRoom({ name: 'Mine' }).catch((e: unknown) => e)
    t.ok(err instanceof ApiError)
    t.match(err, { status: 403, code: 'VIP_REQUIRED' })
    const bad = await new ChatHttp({ baseUrl: server.base })
      .login({ username: 'httpuser', password: 'wrong-password' })
      .catch((e: unknown) => e)
    t.match(bad, { status: 401, code: 'BAD_CREDENTIALS' })
    const unauth = await new ChatHttp({ baseUrl: server.base }).me().catch((e: unknown) => e)
    t.match(unauth, { status: 401, code: 'UNAUTHENTICATED' })
  })

  t.test('VIP from an activation code, then a room, messages and history', async (t) => {
    const me = await http.redeemVip(activation!.code)
    t.equal(me.vip.active, true)
    const room = await http.createRoom({ name: 'Mine', description: 'a room' })
    t.match(room, { name: 'Mine', memberCount: 1, lastSeq: 0, creator: { username: 'httpuser' } })
    const page = await http.rooms({ mine: true })
    t.same(
      page.items.map((r) => r.id),
      [room.id],
    )
    t.equal(page.nextCursor, null)
    for (let i = 1; i <= 5; i++) await http.sendMessage(room.id, `n${i}`)
    const after = await http.history(room.id, { after: 2, limit: 2 })
    t.same(
      after.items.map((m) => m.text),
      ['n3', 'n4'],
    )
    t.equal(after.nextCursor, '4')
    const members = await http.members(room.id)
    t.equal(members.items[0]?.user.username, 'httpuser')
    t.equal((await http.room(room.id)).lastSeq, 5)
  })

  t.test('login, then logout drops the token', async (t) => {
    const other = new ChatHttp({ baseUrl: server.base })
    await other.login({ username: 'httpuser', password: 'password-123' })
    t.ok(other.token)
    const ticket = await other.wsTicket()
    t.type(ticket.ticket, 'string')
    await other.logout()
    t.equal(other.token, undefined)
  })
})
