// Connecting a bot with the client package: an admin's ChatHttp creates it; the bot's own
// ChatHttp takes its token as `token`, and its ChatSocket opens with a ticket or the token; a
// webhook's message reaches it with `hook` and `from.bot`; a rotation ends its socket (4001).
import { ChatHttp } from '@roomchat/client'
import t from 'tap'
import { admin, backendName, next, socket, startServer, within } from './fixtures/setup.ts'

t.test(`a bot through the client package on ${backendName}`, async (t) => {
  const server = await startServer(t)
  const root = await admin(server)
  const { bot, token } = await root.http.createBot({ username: 'client-bot', displayName: 'Client Bot' })
  t.equal(bot.bot, true)
  t.same(
    (await root.http.bots()).map((b) => b.username),
    ['client-bot'],
  )
  const http = new ChatHttp({ baseUrl: server.base, token })
  t.match(await http.me(), { id: bot.id, bot: true })
  const roomId = (await root.http.createRoom({ name: 'Bots' })).id
  await http.joinRoom(roomId)

  const client = socket(t, http.socketOptions())
  await within(client.connect(), 'connect with a ticket')
  await client.join(roomId)
  const ack = await client.send(roomId, 'hello from a bot')
  t.ok(ack.seq >= 1)

  const hook = await root.http.createWebhook(roomId, 'Alerts')
  t.same(
    (await root.http.webhooks(roomId)).map((h) => h.id),
    [hook.id],
  )
  const arrived = next(client, 'message', (m) => m.hook?.id === hook.id)
  const posted = await fetch(hook.url.replace(/^https?:\/\/[^/]+/, server.base), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'disk almost full' }),
  })
  t.equal(posted.status, 201)
  const [m] = await arrived
  t.match(m, {
    text: 'disk almost full',
    hook: { name: 'Alerts' },
    from: { displayName: 'Alerts', bot: true },
  })
  await root.http.deleteWebhook(roomId, hook.id)
  t.same(await root.http.webhooks(roomId), [])

  const closed = next(client, 'close')
  const fresh = await root.http.rotateBotToken(bot.id)
  const [info] = await closed
  t.match(info, { code: 4001, reconnecting: false }, 'the old token is revoked: no redial')
  http.token = fresh
  t.equal((await http.me()).id, bot.id, 'the new token works')
  const direct = socket(t, { url: server.wsUrl, token: fresh })
  await within(direct.connect(), 'connect with the token as Bearer')
})
