// Close code 4001: the sign-in was revoked (logout, password change, ban). The client stops:
// no reconnect, pending sends rejected with REVOKED.

import { ChatError } from '@roomchat/client'
import t from 'tap'
import { admin, backendName, next, room, sleep, socket, startServer, user, within } from './fixtures/setup.ts'

t.test(`revocation on ${backendName}`, async (t) => {
  const server = await startServer(t)

  t.test('logout elsewhere: 4001, revoked, no reconnect', async (t) => {
    const alice = await user(server)
    const roomId = await room(server, [alice])
    const client = socket(t, { url: server.wsUrl, token: alice.token })
    const states: string[] = []
    client.on('state', (s) => states.push(s))
    await within(client.connect(), 'connect')
    await client.join(roomId)
    const closed = next(client, 'close')
    const revoked = next(client, 'revoked')
    await alice.http.logout()
    const [info] = await closed
    await revoked
    t.match(info, { code: 4001, reconnecting: false })
    t.equal(client.state, 'refused')
    const late = await client.send(roomId, 'too late').catch((e: unknown) => e)
    t.ok(late instanceof ChatError)
    t.equal((late as ChatError).code, 'CLOSED')
    await sleep(500)
    t.same(states, ['connecting', 'open', 'refused'], 'never dialled again')
    t.equal(server.app.websocketServer.clients.size, 0, 'no socket left on the server')
  })

  t.test('a ban: sends in flight are rejected with REVOKED', async (t) => {
    const bob = await user(server)
    const roomId = await room(server, [bob])
    const client = socket(t, { url: server.wsUrl, token: bob.token })
    await within(client.connect(), 'connect')
    await client.join(roomId)
    // Deaf connection: the send stays pending until the revocation closes the socket.
    client.raw!.onmessage = null
    const pending = client.send(roomId, 'in flight').catch((e: unknown) => e)
    const root = await admin(server)
    await root.http.request('PATCH', `/api/admin/users/${bob.id}`, { banned: true })
    const err = await within(pending, 'the rejection')
    t.ok(err instanceof ChatError)
    t.equal((err as ChatError).code, 'REVOKED')
    t.equal(client.state, 'refused')
  })

  t.test('close() by the client: no reconnect either', async (t) => {
    const carol = await user(server)
    const client = socket(t, { url: server.wsUrl, token: carol.token })
    await within(client.connect(), 'connect')
    const states: string[] = []
    client.on('state', (s) => states.push(s))
    client.close()
    await sleep(300)
    t.same(states, ['closed'])
  })
})
