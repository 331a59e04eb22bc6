// Resuming: connections dropped by the network (terminate) or closed by the server (1012
// draining, 1013 too slow) while another client keeps sending. The client reconnects, re-joins
// with `since`, and delivers every message once, in seq order; its own unacked sends are
// re-sent and stored once.

import { type AckFrame, type ChatSocket, CloseCode } from '@roomchat/client'
import t from 'tap'
import type WebSocket from 'ws'
import {
  backendName,
  inbox,
  room as makeRoom,
  mongoUrl,
  needServer,
  range,
  redisUrl,
  relaxed,
  type Server,
  seqs,
  sharedEnv,
  sleep,
  socket,
  startServer,
  until,
  user,
  within,
} from './fixtures/setup.ts'

/** The server closes every socket it has (as a drain does, or as it does with a slow consumer). */
function closeFromServer(server: Server, code: number): void {
  server.app.core.hub.closeAll(code, 'closed by the test')
}

const terminate = (client: ChatSocket) => (client.raw as unknown as WebSocket | null)?.terminate()

/** Sends `count` messages, a few in flight at a time, at a steady pace. */
async function keepSending(
  client: ChatSocket,
  roomId: string,
  count: number,
  pauseMs = 4,
): Promise<AckFrame[]> {
  const acks: AckFrame[] = []
  const inFlight = new Set<Promise<void>>()
  for (let i = 0; i < count; i++) {
    const p: Promise<void> = client.send(roomId, `m${i}`).then((ack) => {
      acks.push(ack)
      inFlight.delete(p)
    })
    inFlight.add(p)
    if (inFlight.size >= 8) await Promise.race(inFlight)
    await sleep(pauseMs)
  }
  await Promise.all(inFlight)
  return acks
}

t.test(`resume on ${backendName}`, async (t) => {
  const server = await startServer(t)

  t.test('forced disconnects while another client keeps sending: no gap, no duplicate', async (t) => {
    const alice = await user(server)
    const bob = await user(server)
    const roomId = await makeRoom(server, [alice, bob])
    const a = socket(t, { url: server.wsUrl, token: alice.token })
    const b = socket(t, { url: server.wsUrl, token: bob.token })
    const aGot = inbox(a)
    const bGot = inbox(b)
    let aOpens = 0
    a.on('open', () => aOpens++)
    const joinedSince: (number | null)[] = []
    a.on('joined', () => joinedSince.push(a.lastSeq(roomId)))
    await within(Promise.all([a.connect(), b.connect()]), 'connect')
    await Promise.all([a.join(roomId), b.join(roomId)])

    const total = 250
    const sending = keepSending(b, roomId, total)
    // Drop A in every way while B sends; drop B too, so its sends in flight are retried.
    const disruptions: (() => void)[] = [
      () => terminate(a),
      () => closeFromServer(server, CloseCode.RESTART),
      () => closeFromServer(server, CloseCode.SLOW),
      () => terminate(b),
      () => terminate(a),
      () => closeFromServer(server, CloseCode.RESTART),
      () => closeFromServer(server, CloseCode.RESTART),
      () => terminate(a),
    ]
    for (const disrupt of disruptions) {
      await sleep(120)
      await until(() => a.state === 'open' && b.state === 'open', 'both open again')
      disrupt()
    }
    const acks = await within(sending, 'every ack', 90_000)
    t.equal(acks.length, total, 'every send acked')
    t.same(
      acks.map((x) => x.seq).sort((x, y) => x - y),
      range(total),
      'each send stored once: seqs 1..N',
    )
    await until(() => seqs(aGot.get(roomId)).length >= total, `A's ${total} deliveries`, 20_000)
    await until(() => seqs(bGot.get(roomId)).length >= total, `B's ${total} deliveries`, 20_000)
    await sleep(200) // anything late would show up as a duplicate now
    t.same(seqs(aGot.get(roomId)), range(total), 'A: every seq once, in order')
    t.same(seqs(bGot.get(roomId)), range(total), 'B: every seq once, in order')
    t.ok(aOpens >= 7, `A reconnected after each disruption (${aOpens} opens)`)
    t.ok(
      joinedSince.slice(1).some((s) => s !== null && s > 0 && s < total),
      'A re-joined mid-stream with since',
    )
    const texts = new Set(aGot.get(roomId)!.map((m) => m.text))
    t.equal(texts.size, total, 'every text once')
  })

  t.test('a message sent while disconnected goes out on reconnect', async (t) => {
    const alice = await user(server)
    const roomId = await makeRoom(server, [alice])
    const a = socket(t, {
      url: server.wsUrl,
      token: alice.token,
      backoff: { initialMs: 300, maxMs: 300, jitter: 0 },
    })
    const got = inbox(a)
    await within(a.connect(), 'connect')
    await a.join(roomId)
    const closed = new Promise((resolve) => a.once('close', resolve))
    terminate(a)
    await closed
    t.equal(a.state, 'reconnecting')
    const ack = await a.send(roomId, 'written offline')
    t.equal(ack.seq, 1)
    await until(() => seqs(got.get(roomId)).length === 1, 'the delivery')
    t.equal(got.get(roomId)![0]!.text, 'written offline')
  })

  t.test('an ack lost with the connection: the same frame is re-sent and stored once', async (t) => {
    const alice = await user(server)
    const roomId = await makeRoom(server, [alice])
    const a = socket(t, { url: server.wsUrl, token: alice.token })
    const got = inbox(a)
    await within(a.connect(), 'connect')
    await a.join(roomId)
    await a.send(roomId, 'first')

    // From here on this connection is deaf: the send reaches the server, its ack does not.
    const raw = a.raw!
    raw.onmessage = null
    const pending = a.send(roomId, 'second')
    let stored = 0
    for (let i = 0; i < 200 && stored < 2; i++) {
      stored = (await alice.http.history(roomId)).items.length
      await sleep(20)
    }
    t.equal(stored, 2, 'stored, not acked yet')
    t.equal(a.pending, 1)
    terminate(a)
    const ack = await within(pending, 'the ack after the reconnect')
    const history = (await alice.http.history(roomId)).items
    t.same(
      history.map((m) => m.text),
      ['first', 'second'],
      'stored once',
    )
    t.equal(ack.id, history[1]!.id, 'the ack is the first one')
    await until(() => seqs(got.get(roomId)).length === 2, 'the re-join replay')
    t.same(seqs(got.get(roomId)), [1, 2], 'delivered once, from the replay')
  })
})

t.test('resume across instances (MongoDB + Redis)', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl) || !needServer(t, 'Redis', redisUrl)) return
  const shared = sharedEnv(t, relaxed, { scaled: true })
  const one = await startServer(t, shared)
  const two = await startServer(t, shared)
  const alice = await user(one)
  const bob = await user(two)
  const roomId = await makeRoom(one, [alice, bob])
  // A moves to the other instance on every reconnect, as behind a load balancer.
  let dials = 0
  let current = one
  const a = socket(t, {
    url: () => {
      current = dials++ % 2 === 0 ? one : two
      return current.wsUrl
    },
    token: alice.token,
  })
  const b = socket(t, { url: two.wsUrl, token: bob.token })
  const aGot = inbox(a)
  await within(Promise.all([a.connect(), b.connect()]), 'connect')
  await Promise.all([a.join(roomId), b.join(roomId)])
  const total = 150
  const sending = keepSending(b, roomId, total)
  for (let i = 0; i < 6; i++) {
    await sleep(120)
    await until(() => a.state === 'open', 'A open again')
    if (i % 2 === 0) terminate(a)
    else closeFromServer(current, CloseCode.RESTART)
  }
  const acks = await within(sending, 'every ack', 90_000)
  t.equal(acks.length, total)
  await until(() => seqs(aGot.get(roomId)).length >= total, `A's ${total} deliveries`, 20_000)
  await sleep(200)
  t.same(seqs(aGot.get(roomId)), range(total), 'every seq once, in order, across instances')
  t.ok(dials >= 5, `A dialled both instances (${dials} dials)`)
})
