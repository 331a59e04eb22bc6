// ChatSocket against the real gateway: the ways to authenticate, and join answers.

import { ChatError } from '@roomchat/client'
import t from 'tap'
import { backendName, deadUrl, next, room, socket, startServer, user, within } from './fixtures/setup.ts'

t.test(`connecting on ${backendName}`, async (t) => {
  const server = await startServer(t)
  const alice = await user(server)
  const roomId = await room(server, [alice])

  t.test('with a Bearer token (ws sends headers)', async (t) => {
    const client = socket(t, { url: server.wsUrl, token: alice.token })
    const states: string[] = []
    client.on('state', (s) => states.push(s))
    await client.connect()
    t.equal(client.state, 'open')
    const joined = await client.join(roomId)
    t.equal(joined.room, roomId)
    t.equal(joined.lastSeq, 0)
    t.ok(joined.online.includes(alice.id), 'the user is online in the room')
    t.same(states, ['connecting', 'open'])
    t.equal(await client.join(roomId), joined, 'joining again answers at once')
  })

  t.test('with a ticket fetched before every connect', async (t) => {
    let tickets = 0
    const client = socket(t, {
      url: server.wsUrl,
      getTicket: async () => {
        tickets++
        return (await alice.http.wsTicket()).ticket
      },
    })
    await client.connect()
    await client.join(roomId)
    t.equal(tickets, 1)
    // Drop the connection: the reconnect needs (and gets) a fresh single-use ticket.
    const reopened = new Promise<void>((resolve) => client.once('open', () => resolve()))
    ;(client.raw as unknown as { terminate(): void }).terminate()
    await reopened
    t.equal(tickets, 2)
    const again = await new Promise((resolve) => client.once('joined', resolve))
    t.match(again, { type: 'joined', room: roomId }, 're-joined after the reconnect')
  })

  t.test(
    'a server that cannot be reached: retried, then connect() fails once retries are spent',
    async (t) => {
      const client = socket(t, { url: await deadUrl(), maxRetries: 2 })
      const closes: number[] = []
      client.on('close', (c) => closes.push(c.code))
      const err = await client.connect().catch((e: unknown) => e)
      t.ok(err instanceof ChatError)
      t.equal((err as ChatError).code, 'CLOSED')
      t.equal(client.state, 'closed')
      t.equal(closes.length, 3, 'the first attempt and two retries')
    },
  )

  t.test('joining a room one is not a member of is refused with NOT_MEMBER', async (t) => {
    const bob = await user(server)
    const client = socket(t, { url: server.wsUrl, token: bob.token })
    await client.connect()
    const err = await client.join(roomId).catch((e: unknown) => e)
    t.ok(err instanceof ChatError)
    t.equal((err as ChatError).code, 'NOT_MEMBER')
    t.same(client.joinedRooms, [], 'the room is forgotten')
  })

  t.test('ping keeps a quiet connection open', async (t) => {
    const client = socket(t, { url: server.wsUrl, token: alice.token, pingIntervalMs: 150 })
    await client.connect()
    let closed = false
    client.on('close', () => {
      closed = true
    })
    await new Promise((r) => setTimeout(r, 900))
    t.equal(closed, false, 'pongs count as life')
    t.equal(client.state, 'open')
  })
  t.test('a connection that goes silent is dropped and replaced', async (t) => {
    const client = socket(t, { url: server.wsUrl, token: alice.token, pingIntervalMs: 100 })
    await within(client.connect(), 'connect')
    await client.join(roomId)
    const first = client.raw!
    first.onmessage = null // nothing heard from here on, pongs included
    const [info] = await next(client, 'close', () => true, 5000)
    t.match(info, { reason: 'no answer to ping', reconnecting: true })
    await next(client, 'joined', () => true, 5000)
    t.not(client.raw, first, 'a new connection, the room re-joined')
  })
})
