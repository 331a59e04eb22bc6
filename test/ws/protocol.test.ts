// The WebSocket protocol (docs/websocket.md), frame by frame, on one instance.
import t from 'tap'
import WebSocket from 'ws'
import { newId } from '../../src/ids.ts'
import { type Caller, call, loginAdmin, newUser } from '../helpers/api.ts'
import { backendName, buildTestApp, sharedEnv } from '../helpers/app.ts'
import { atTime } from '../helpers/clock.ts'
import { sleep, until, within } from '../helpers/wait.ts'
import { connect, listen, type RawSocket } from '../helpers/ws.ts'

t.test(`the socket on ${backendName}`, async (t) => {
  const app = await buildTestApp(t, sharedEnv(t, { PUBLIC_ORIGINS: 'https://app.example' }))
  const url = await listen(app)
  const admin = await loginAdmin(app)
  const sockets: RawSocket[] = []
  t.teardown(() => {
    for (const s of sockets) s.close()
  })
  const open = async (who: Caller, headers?: Record<string, string>) => {
    const s = await connect(url, { token: who.token, ...(headers ? { headers } : {}) })
    sockets.push(s)
    return s
  }
  const newRoom = async (name = 'Room') =>
    (await call(app, 'POST', '/api/rooms', { as: admin, body: { name } })).body.room
  const member = async (roomId: string) => {
    const u = await newUser(app)
    await call(app, 'POST', `/api/rooms/${roomId}/join`, { as: u })
    return u
  }
  const join = async (s: RawSocket, room: string, since?: number) => {
    const from = s.frames.length
    s.send(since === undefined ? { type: 'join', room } : { type: 'join', room, since })
    return s.next(
      (f) => (f.type === 'joined' && f.room === room) || (f.type === 'error' && f.ref === room),
      5000,
      from,
    )
  }

  t.test(
    'the upgrade: 401 without a valid session, 403 for a foreign Origin; cookie, Bearer and ticket work',
    async (t) => {
      await t.rejects(connect(url), { status: 401 } as any)
      await t.rejects(connect(url, { token: 'garbage' }), { status: 401 } as any)
      const foreign = connect(url, { token: admin.token, headers: { origin: 'https://evil.example' } })
      await t.rejects(foreign, { status: 403 } as any)
      t.ok(await open(admin, { origin: 'https://app.example' }), 'a configured origin')
      t.ok(await open(admin, { origin: url.replace('ws://', 'http://').replace('/ws', '') }), 'same origin')
      const byCookie = await connect(url, { headers: { cookie: `token=${admin.token}` } })
      sockets.push(byCookie)
      byCookie.send({ type: 'ping' })
      t.same(await byCookie.next((f) => f.type === 'pong'), { type: 'pong' })
      const { ticket } = (await call(app, 'POST', '/api/auth/ws-ticket', { as: admin })).body
      const byTicket = await connect(`${url}?ticket=${ticket}`)
      sockets.push(byTicket)
      byTicket.send({ type: 'ping' })
      await byTicket.next((f) => f.type === 'pong')
      await t.rejects(connect(`${url}?ticket=${ticket}`), { status: 401 } as any, 'a ticket works once')
    },
  )

  t.test('join: joined with lastSeq and online; errors for strangers and unknown rooms', async (t) => {
    const room = await newRoom()
    const alice = await member(room.id)
    const outsider = await newUser(app)
    const s = await open(alice)
    const joined = await join(s, room.id)
    t.same(joined, { type: 'joined', room: room.id, lastSeq: 0, online: [alice.userId] })
    const o = await open(outsider)
    const refused = await join(o, room.id)
    t.match(refused, { type: 'error', code: 'NOT_MEMBER', ref: room.id })
    const missing = await join(o, '0123456789abcdef01234567')
    t.match(missing, { type: 'error', code: 'NOT_FOUND' })
  })

  t.test(
    'send: ack after storing; every follower (the sender too) gets the message in order; a repeat is acked once',
    async (t) => {
      const room = await newRoom()
      const [alice, bob] = [await member(room.id), await member(room.id)]
      const a = await open(alice)
      const a2 = await open(alice)
      const b = await open(bob)
      for (const s of [a, a2, b]) await join(s, room.id)
      for (let i = 1; i <= 20; i++)
        a.send({ type: 'send', room: room.id, clientMsgId: `c${i}`, text: `msg ${i} 🎈` })
      const acks = await a.collect('ack', 20)
      t.same(
        acks.map((x) => x.seq),
        Array.from({ length: 20 }, (_, i) => i + 1),
      )
      t.match(acks[0], { clientMsgId: 'c1', seq: 1 })
      t.match(acks[0]!.id, /^[0-9a-f]{24}$/)
      for (const s of [a, a2, b]) {
        await s.collect('message', 20)
        t.same(
          s.messages(room.id).map((m) => m.seq),
          Array.from({ length: 20 }, (_, i) => i + 1),
        )
      }
      t.match(b.messages(room.id)[0], {
        seq: 1,
        text: 'msg 1 🎈',
        kind: 'text',
        from: { id: alice.userId },
        clientMsgId: 'c1',
      })
      const firstAck = acks.find((x) => x.clientMsgId === 'c1')!
      const from = a.frames.length
      a.send({ type: 'send', room: room.id, clientMsgId: 'c1', text: 'again' })
      const repeat = await a.next((f) => f.type === 'ack' && f.clientMsgId === 'c1', 5000, from)
      t.same(repeat, firstAck, 'the first ack again')
      await new Promise((r) => setTimeout(r, 200))
      t.equal(b.messages(room.id).length, 20, 'nothing new delivered')
      t.equal(
        (await call(app, 'GET', `/api/rooms/${room.id}`, { as: alice })).body.room.lastSeq,
        20,
        'nothing new stored',
      )
    },
  )

  t.test('HTTP sends reach sockets too; a non-member send is refused with ref', async (t) => {
    const room = await newRoom()
    const alice = await member(room.id)
    const a = await open(alice)
    await join(a, room.id)
    await call(app, 'POST', `/api/rooms/${room.id}/messages`, {
      as: alice,
      body: { text: 'from http', clientMsgId: 'h1' },
    })
    t.equal((await a.next((f) => f.type === 'message')).message.text, 'from http')
    const stranger = await open(await newUser(app))
    stranger.send({ type: 'send', room: room.id, clientMsgId: 'x1', text: 'let me in' })
    t.match(await stranger.next((f) => f.type === 'error'), { code: 'NOT_MEMBER', ref: 'x1' })
  })

  t.test('join with since replays what was missed, then goes live: no gap, no repeat', async (t) => {
    const room = await newRoom()
    const [alice, bob] = [await member(room.id), await member(room.id)]
    const a = await open(alice)
    await join(a, room.id)
    for (let i = 1; i <= 30; i++) a.send({ type: 'send', room: room.id, clientMsgId: `r${i}`, text: `r${i}` })
    await a.collect('ack', 30)
    const b = await open(bob)
    // Bob saw up to 12 before; messages keep coming while he resumes.
    const sending = (async () => {
      for (let i = 31; i <= 60; i++) {
        a.send({ type: 'send', room: room.id, clientMsgId: `r${i}`, text: `r${i}` })
        await new Promise((r) => setTimeout(r, 2))
      }
    })()
    const joined = await join(b, room.id, 12)
    t.equal(joined.type, 'joined')
    await sending
    await b.collect('message', 48)
    await new Promise((r) => setTimeout(r, 200))
    t.same(
      b.messages(room.id).map((m) => m.seq),
      Array.from({ length: 48 }, (_, i) => i + 13),
    )
    const joinedAt = b.frames.findIndex((f) => f.type === 'joined')
    const beforeJoined = b.frames
      .slice(0, joinedAt)
      .filter((f) => f.type === 'message')
      .map((f) => f.message.seq)
    t.ok(beforeJoined.length >= 18 && beforeJoined[0] === 13, 'the replay comes before `joined`')
    t.equal(joined.lastSeq, beforeJoined.at(-1), '`joined.lastSeq` is where the replay ended')
    const c = await open(await member(room.id))
    const far = await join(c, room.id, 10_000)
    t.equal(far.lastSeq, 60, 'a since beyond the last seq is clamped to it')
    a.send({ type: 'send', room: room.id, clientMsgId: 'r61', text: 'r61' })
    t.equal((await c.next((f) => f.type === 'message')).message.seq, 61, 'and the next message arrives')
  })

  t.test('leave stops live delivery but keeps the membership; typing goes to the others', async (t) => {
    const room = await newRoom()
    const [alice, bob] = [await member(room.id), await member(room.id)]
    const a = await open(alice)
    const b = await open(bob)
    await join(a, room.id)
    await join(b, room.id)
    a.send({ type: 'typing', room: room.id })
    t.same(await b.next((f) => f.type === 'typing'), { type: 'typing', room: room.id, user: alice.userId })
    b.send({ type: 'leave', room: room.id })
    await new Promise((r) => setTimeout(r, 100))
    a.send({ type: 'send', room: room.id, clientMsgId: 'after-leave', text: 'anyone?' })
    await a.next((f) => f.type === 'message')
    await new Promise((r) => setTimeout(r, 200))
    t.equal(b.messages(room.id).length, 0)
    t.same((await call(app, 'GET', '/api/me', { as: bob })).body.user.rooms, [room.id], 'still a member')
    t.equal(a.frames.filter((f) => f.type === 'typing').length, 0, 'no echo of one’s own typing')
  })

  t.test('typing: one notice per 2 s per socket and room, the next once the 2 s are past', async (t) => {
    const room = await newRoom()
    const [alice, bob] = [await member(room.id), await member(room.id)]
    const a = await open(alice)
    const b = await open(bob)
    await join(a, room.id)
    await join(b, room.id)
    const notices = () => b.frames.filter((f) => f.type === 'typing' && f.room === room.id).length
    let k = 0
    /**
     * Typing from `s`, then a message from it: the room's events reach bob in the order they
     * were made, so once he has the message, a notice passed on is there before it.
     */
    const typeThenSay = async (s: RawSocket) => {
      const id = `typing-${k++}`
      s.send({ type: 'typing', room: room.id })
      s.send({ type: 'send', room: room.id, clientMsgId: id, text: id })
      await within(
        b.next((f) => f.type === 'message' && f.message.clientMsgId === id),
        `bob got ${id}`,
        5000,
      )
    }
    // The throttle reads Date.now(): the clock is set, not waited for.
    const start = Date.now()
    await atTime(start, () => typeThenSay(a))
    t.equal(notices(), 1, 'the first typing frame is passed on')
    await atTime(start + 1999, () => typeThenSay(a))
    t.equal(notices(), 1, 'a second within 2 s is not')
    const again = await atTime(start + 1999, async () => {
      const s = await open(alice)
      await join(s, room.id)
      await typeThenSay(s)
      return s
    })
    t.equal(notices(), 2, 'another socket of the same user has a window of its own')
    again.close()
    await atTime(start + 2000, () => typeThenSay(a))
    t.equal(notices(), 3, 'once 2 s have passed, the next one is passed on')
    t.same(
      b.frames.filter((f) => f.type === 'typing'),
      Array(3).fill({ type: 'typing', room: room.id, user: alice.userId }),
    )
  })

  t.test(
    'typing in a room whose join is still under way: no answer, and the join goes through',
    async (t) => {
      const [room, other] = [await newRoom(), await newRoom()]
      const [alice, bob] = [await member(room.id), await member(room.id)]
      const a = await open(alice)
      const b = await open(bob)
      await join(b, room.id)
      // The join reads the store; the typing notice is handled as it arrives, before that.
      a.send({ type: 'join', room: room.id })
      a.send({ type: 'typing', room: room.id })
      t.match(await a.next((f) => f.type === 'joined' || f.type === 'error'), {
        type: 'joined',
        room: room.id,
      })
      a.send({ type: 'typing', room: other.id })
      a.send({ type: 'ping' })
      await a.next((f) => f.type === 'pong')
      t.same(
        a.frames.filter((f) => f.type === 'error'),
        [],
        'no error frame: one naming the room would read as the refusal of the join',
      )
      t.equal(b.frames.filter((f) => f.type === 'typing').length, 0, 'the early notice was not passed on')
      a.send({ type: 'typing', room: room.id })
      t.same(await b.next((f) => f.type === 'typing'), { type: 'typing', room: room.id, user: alice.userId })
    },
  )

  t.test('presence, room updates and removal as members come, go and the room is deleted', async (t) => {
    const room = await newRoom()
    const [alice, bob] = [await member(room.id), await member(room.id)]
    const a = await open(alice)
    await join(a, room.id)
    const b = await open(bob)
    await join(b, room.id)
    const presence = await a.next((f) => f.type === 'presence' && f.online.length === 2)
    t.same(presence.online, [alice.userId, bob.userId].sort())
    const members = await call(app, 'GET', `/api/rooms/${room.id}/members`, { as: alice })
    t.same(
      members.body.items
        .filter((m: { online: boolean }) => m.online)
        .map((m: { user: { id: string } }) => m.user.id)
        .sort(),
      [alice.userId, bob.userId].sort(),
    )
    b.close()
    t.same((await a.next((f) => f.type === 'presence' && f.online.length === 1)).online, [alice.userId])

    const carol = await newUser(app)
    await call(app, 'POST', `/api/rooms/${room.id}/join`, { as: carol })
    const update = await a.next((f) => f.type === 'room')
    t.equal(update.room.memberCount, 4)

    const a2 = await open(alice)
    await join(a2, room.id)
    await call(app, 'POST', `/api/rooms/${room.id}/leave`, { as: alice })
    t.same(await a2.next((f) => f.type === 'removed'), { type: 'removed', room: room.id, reason: 'left' })

    const c = await open(carol)
    await join(c, room.id)
    await call(app, 'DELETE', `/api/rooms/${room.id}`, { as: admin })
    t.same(await c.next((f) => f.type === 'removed'), { type: 'removed', room: room.id, reason: 'deleted' })
  })

  t.test('bad frames get BAD_FRAME errors; the socket stays open until it abuses', async (t) => {
    const s = await open(admin)
    for (const bad of [
      'not json',
      '[]',
      '{"type":"nope"}',
      '{"type":"join","room":"xyz"}',
      '{"type":"send","room":"0123456789abcdef01234567","clientMsgId":"k","text":""}',
      '"str"',
      'null',
    ]) {
      const from = s.frames.length
      s.send(bad)
      t.match(await s.next((f) => f.type === 'error', 5000, from), { code: 'BAD_FRAME' }, bad)
    }
    s.send({ type: 'send', room: '0123456789abcdef01234567', clientMsgId: 'ref-me', text: 5 })
    t.match(
      await s.next((f) => f.type === 'error' && f.ref === 'ref-me'),
      { code: 'BAD_FRAME' },
      'ref echoes the clientMsgId',
    )
    s.send({ type: 'ping' })
    await s.next((f) => f.type === 'pong')
    for (let i = 0; i < 20; i++) s.send('garbage')
    t.equal((await s.waitClosed()).code, 1008, 'too many bad frames: 1008')

    const big = await open(admin)
    big.send({ type: 'send', room: '0123456789abcdef01234567', clientMsgId: 'big', text: 'x'.repeat(70_000) })
    t.equal((await big.waitClosed()).code, 1008, 'a frame over the size limit: 1008')

    const flood = await open(admin)
    for (let i = 0; i < 5000; i++) flood.send({ type: 'ping' })
    t.equal((await flood.waitClosed()).code, 1008, 'over the frame rate: 1008')
    t.equal((await call(app, 'GET', '/healthz')).status, 200)
  })

  t.test('logout closes the session’s sockets with 4001', async (t) => {
    const user = await newUser(app)
    const s = await open(user)
    await call(app, 'POST', '/api/auth/logout', { as: user })
    t.equal((await s.waitClosed()).code, 4001)
  })
})

t.test(`slow consumers and heartbeats on ${backendName}`, async (t) => {
  const app = await buildTestApp(
    t,
    // The replay below is 600 events: within the bound of one join here.
    sharedEnv(t, { WS_MAX_BUFFERED_BYTES: '1024', WS_HEARTBEAT_SECONDS: '1', WS_REPLAY_MAX_EVENTS: '600' }),
  )
  const url = await listen(app)
  const admin = await loginAdmin(app)
  const room = (await call(app, 'POST', '/api/rooms', { as: admin, body: { name: 'Firehose' } })).body.room

  t.test('a socket that stops reading is closed with 1013 instead of growing memory', async (t) => {
    // 600 messages of 16 KB: a replay of them overflows the kernel's socket buffers.
    const from = { id: admin.userId, username: admin.username, displayName: admin.username }
    const text = '😀'.repeat(4000)
    for (let seq = 1; seq <= 600; seq++) {
      const m = {
        id: newId(),
        roomId: room.id,
        kind: 'text' as const,
        from,
        text,
        file: null,
        clientMsgId: null,
        createdAt: new Date(),
      }
      await app.core.internals.store.messages.append(m, seq - 1)
    }
    const slow = await connect(url, { token: admin.token })
    const socket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket
    socket.pause()
    slow.send({ type: 'join', room: room.id, since: 0 })
    await new Promise((r) => setTimeout(r, 1000))
    socket.resume()
    t.equal((await slow.waitClosed(10_000)).code, 1013)
    t.ok(slow.messages(room.id).length < 600, `closed after ${slow.messages(room.id).length} of 600 messages`)
    const fresh = await connect(url, { token: admin.token })
    fresh.send({ type: 'join', room: room.id, since: 590 })
    await fresh.collect('message', 10)
    t.same(
      fresh.messages(room.id).map((m) => m.seq),
      [591, 592, 593, 594, 595, 596, 597, 598, 599, 600],
      'it resumes with since',
    )
    fresh.close()
  })

  t.test('a peer that does not answer pings is dropped', async (t) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${admin.token}` }, autoPong: false })
    await new Promise((resolve) => ws.once('open', resolve))
    const closed = await new Promise<number>((resolve) => ws.once('close', resolve))
    t.equal(closed, 1006, 'terminated without a close frame')
  })
})

t.test(`drain on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const url = await listen(app)
  const admin = await loginAdmin(app)
  const s = await connect(url, { token: admin.token })
  await app.close()
  t.equal((await s.waitClosed()).code, 1012)
})

t.test(`the drain finishes while a client redials /ws every few ms, on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const url = await listen(app)
  const admin = await loginAdmin(app)
  const first = await connect(url, { token: admin.token })
  // A client that redials as fast as it can: every upgrade after the drain began must get its 503
  // and its connection ended, or server.close() waits for it until the grace period runs out.
  let dialing = true
  const answers: (number | string)[] = []
  const dialer = async () => {
    while (dialing) {
      answers.push(
        await connect(url, { token: admin.token }).then(
          (s) => {
            s.close()
            return 101
          },
          (err: { status?: number; code?: string }) => err.status ?? err.code ?? 'error',
        ),
      )
      await sleep(2)
    }
  }
  // Several at once, so that some upgrades arrive at every step of the close.
  const redial = Promise.all(Array.from({ length: 8 }, dialer))
  await until(() => answers.includes(101), 'a first redial upgraded')
  const started = Date.now()
  await app.close()
  const took = Date.now() - started
  dialing = false
  await redial
  t.equal((await first.waitClosed()).code, 1012)
  t.ok(took < 8_000, `closed in ${took} ms, well within the 25 s grace period`)
  t.ok(answers.includes(503), `upgrades during the drain got 503 (${[...new Set(answers)].join(', ')})`)
})
