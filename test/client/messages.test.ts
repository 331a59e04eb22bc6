// Sending and receiving through ChatSocket: acks, delivery to everyone, errors.

import { ChatError } from '@roomchat/client'
import t from 'tap'
import {
  backendName,
  inbox,
  next,
  room,
  seqs,
  socket,
  startServer,
  until,
  user,
  within,
} from './fixtures/setup.ts'

t.test(`messages on ${backendName}`, async (t) => {
  const server = await startServer(t)
  const alice = await user(server)
  const bob = await user(server)
  const roomId = await room(server, [alice, bob])
  const a = socket(t, { url: server.wsUrl, token: alice.token })
  const b = socket(t, { url: server.wsUrl, token: bob.token })
  const aGot = inbox(a)
  const bGot = inbox(b)
  await within(Promise.all([a.connect(), b.connect()]), 'connect')
  await Promise.all([a.join(roomId), b.join(roomId)])

  t.test('join, send, and receive one’s own message with its ack', async (t) => {
    const ack = await a.send(roomId, 'hello 👋 Ünïcode')
    t.match(ack, { type: 'ack', seq: 1, id: /^[0-9a-f]{24}$/ })
    t.match(ack.clientMsgId, /^[A-Za-z0-9_.:-]{1,64}$/)
    await until(
      () => seqs(aGot.get(roomId)).length === 1 && seqs(bGot.get(roomId)).length === 1,
      'both deliveries',
    )
    const own = aGot.get(roomId)![0]!
    t.match(own, {
      id: ack.id,
      room: roomId,
      seq: 1,
      kind: 'text',
      text: 'hello 👋 Ünïcode',
      clientMsgId: ack.clientMsgId,
      from: { id: alice.id, username: alice.username },
    })
    t.same(bGot.get(roomId)![0], own, 'the other member gets the same message')
    t.equal(a.pending, 0)
  })

  t.test('many sends from both sides: everyone sees one order', async (t) => {
    const sends = []
    for (let i = 0; i < 30; i++) {
      sends.push(a.send(roomId, `a${i}`))
      sends.push(b.send(roomId, `b${i}`))
    }
    const acks = await Promise.all(sends)
    t.same(
      acks.map((x) => x.seq).sort((x, y) => x - y),
      Array.from({ length: 60 }, (_, i) => i + 2),
      'seqs 2..61, no gap',
    )
    await until(
      () => seqs(aGot.get(roomId)).length === 61 && seqs(bGot.get(roomId)).length === 61,
      'all deliveries',
    )
    t.same(
      seqs(aGot.get(roomId)),
      Array.from({ length: 61 }, (_, i) => i + 1),
      'in order, once',
    )
    t.same(aGot.get(roomId), bGot.get(roomId), 'the same messages in the same order for both')
    // Each side's own messages come in the order it sent them.
    const aTexts = aGot
      .get(roomId)!
      .filter((m) => m.from?.id === alice.id)
      .map((m) => m.text)
    t.same(
      aTexts.slice(1),
      Array.from({ length: 30 }, (_, i) => `a${i}`),
    )
  })

  t.test('the same clientMsgId twice: one message, the first ack', async (t) => {
    const first = await a.send(roomId, 'once', { clientMsgId: 'fixed-id-1' })
    const second = await a.send(roomId, 'once', { clientMsgId: 'fixed-id-1' })
    t.same(second, first)
    const page = await alice.http.history(roomId, { after: first.seq - 1 })
    t.same(
      page.items.filter((m) => m.clientMsgId === 'fixed-id-1').map((m) => m.seq),
      [first.seq],
    )
  })

  t.test('the longest text: 4000 code points of 4-byte emoji, intact', async (t) => {
    const text = `${'👋'.repeat(3999)}é`
    const ack = await a.send(roomId, text)
    await until(() => bGot.get(roomId)!.some((m) => m.seq === ack.seq), 'the delivery')
    t.equal(bGot.get(roomId)!.find((m) => m.seq === ack.seq)!.text, text)
    const over = await a.send(roomId, `${text}x`).catch((e: unknown) => e)
    t.equal((over as ChatError).code, 'BAD_FRAME', '4001 code points are refused')
    t.equal(a.state, 'open')
  })

  t.test('a refused send rejects with the server’s code, and nothing else breaks', async (t) => {
    const tooLong = await a.send(roomId, 'x'.repeat(4001)).catch((e: unknown) => e)
    t.ok(tooLong instanceof ChatError)
    t.equal((tooLong as ChatError).code, 'BAD_FRAME')
    const blank = await a.send(roomId, '   ').catch((e: unknown) => e)
    t.equal((blank as ChatError).code, 'VALIDATION')
    const carol = await user(server)
    const c = socket(t, { url: server.wsUrl, token: carol.token })
    await within(c.connect(), 'connect')
    const notMember = await c.send(roomId, 'let me in').catch((e: unknown) => e)
    t.equal((notMember as ChatError).code, 'NOT_MEMBER')
    t.ok(await a.send(roomId, 'still fine'), 'the socket still works')
  })

  t.test('typing, presence and room events reach the others', async (t) => {
    const typing = next(b, 'typing')
    a.typing(roomId)
    t.same((await typing)[0], { type: 'typing', room: roomId, user: alice.id })

    const dave = await user(server)
    const roomEvent = next(a, 'room')
    await dave.http.joinRoom(roomId)
    t.match((await roomEvent)[0], { id: roomId, memberCount: 4 })

    const d = socket(t, { url: server.wsUrl, token: dave.token })
    await within(d.connect(), 'connect')
    const presence = next(a, 'presence', (p) => p.online.includes(dave.id))
    await d.join(roomId)
    t.ok((await presence)[0].online.includes(dave.id), 'dave shows up online')
  })

  t.test('typing while the join is under way: not sent, and the join is not given up', async (t) => {
    const frank = await user(server)
    await frank.http.joinRoom(roomId)
    const f = socket(t, { url: server.wsUrl, token: frank.token })
    await within(f.connect(), 'connect')
    const written: string[] = []
    const raw = f.raw as unknown as { send(data: string): void }
    const send = raw.send.bind(raw)
    raw.send = (data: string) => {
      written.push(data)
      send(data)
    }
    const joining = f.join(roomId)
    f.typing(roomId)
    await within(joining, 'the join, with a typing notice sent meanwhile')
    t.notOk(
      written.some((w) => w.includes('"typing"')),
      'a notice before `joined` stays here (the server would drop it)',
    )
    const typing = next(a, 'typing', (n) => n.user === frank.id)
    f.typing(roomId)
    t.same((await typing)[0], { type: 'typing', room: roomId, user: frank.id }, 'once joined, it goes out')
  })

  t.test('leaving on another tab ends live delivery with a removed event', async (t) => {
    const erin = await user(server)
    await erin.http.joinRoom(roomId)
    const e = socket(t, { url: server.wsUrl, token: erin.token })
    await within(e.connect(), 'connect')
    await e.join(roomId)
    const removed = next(e, 'removed')
    await erin.http.leaveRoom(roomId)
    t.same((await removed)[0], { type: 'removed', room: roomId, reason: 'left' })
    t.same(e.joinedRooms, [])
  })

  t.test('the HTTP client: history pages and sendMessage are consistent with the socket', async (t) => {
    const sent = await bob.http.sendMessage(roomId, 'over http', 'http-id-1')
    const again = await bob.http.sendMessage(roomId, 'over http', 'http-id-1')
    t.equal(again.id, sent.id, 'idempotent by clientMsgId')
    await until(() => aGot.get(roomId)!.some((m) => m.id === sent.id), 'the socket delivery')
    const newest = await alice.http.history(roomId, { limit: 10 })
    t.equal(newest.items.at(-1)?.id, sent.id)
    t.same(
      newest.items.map((m) => m.seq),
      Array.from({ length: 10 }, (_, i) => sent.seq - 9 + i),
    )
    const older = await alice.http.history(roomId, { before: Number(newest.nextCursor), limit: 10 })
    t.equal(older.items.at(-1)?.seq, sent.seq - 10)
    const r = await alice.http.room(roomId)
    t.equal(r.lastSeq, sent.seq)
  })
})
