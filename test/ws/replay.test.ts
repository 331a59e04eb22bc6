// What one `join {since}` may replay: at most WS_REPLAY_MAX_EVENTS events, and no more than the
// socket's replay budget (WS_REPLAY_EVENTS_PER_MINUTE, all its joins together); past either, the
// `joined` says `skipped` and the client pages that part through HTTP history, gap-free. One join
// of a room at a time per socket: a second one while the first runs is refused, not queued.
import t from 'tap'
import type WebSocket from 'ws'
import { type Caller, call, loginAdmin, newUser } from '../helpers/api.ts'
import { backendName, buildTestApp, sharedEnv } from '../helpers/app.ts'
import { connect, listen, type RawSocket } from '../helpers/ws.ts'

t.test(`bounded replays on ${backendName}`, async (t) => {
  const app = await buildTestApp(
    t,
    sharedEnv(t, { WS_REPLAY_MAX_EVENTS: '20', WS_REPLAY_EVENTS_PER_MINUTE: '50' }),
  )
  const url = await listen(app)
  const admin = await loginAdmin(app)
  const sockets: RawSocket[] = []
  t.teardown(() => {
    for (const s of sockets) s.close()
  })
  const open = async (who: Caller) => {
    const s = await connect(url, { token: who.token })
    sockets.push(s)
    return s
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
  /** The seqs of the messages and updates that came in `frames`. */
  const seqs = (frames: { type: string; [k: string]: any }[]) =>
    frames.flatMap((f) => (f.type === 'message' ? [f.message.seq] : f.type === 'update' ? [f.seq] : []))
  /** A room whose stream holds `messages` messages and then one edit of the first: messages + 1 events. */
  const roomOf = async (messages: number) => {
    const room = (await call(app, 'POST', '/api/rooms', { as: admin, body: { name: `replay ${messages}` } }))
      .body.room
    for (let i = 1; i <= messages; i++) {
      const res = await call(app, 'POST', `/api/rooms/${room.id}/messages`, {
        as: admin,
        body: { text: `m${i}`, clientMsgId: `m${i}` },
      })
      if (res.status !== 201) throw new Error(`send: ${res.status}`)
    }
    const edit = await call(app, 'PATCH', `/api/rooms/${room.id}/messages/1`, {
      as: admin,
      body: { text: 'm1!' },
    })
    if (edit.status !== 200) throw new Error(`edit: ${edit.status}`)
    return room.id as string
  }
  const member = async (room: string) => {
    const u = await newUser(app)
    await call(app, 'POST', `/api/rooms/${room}/join`, { as: u })
    return u
  }
  const small = await roomOf(15) // 16 events: within the bound
  const big = await roomOf(30) // 31 events

  t.test('a join within the bound replays every event, then joined without skipped', async (t) => {
    const s = await open(await member(small))
    const joined = await join(s, small, 0)
    t.same(seqs(s.frames), [...Array.from({ length: 16 }, (_, i) => i + 1)], 'the messages and the edit')
    t.equal(joined.lastSeq, 16)
    t.notOk('skipped' in joined)
  })

  t.test(
    'a join past the bound replays nothing; HTTP history pages what it skipped; live has no gap',
    async (t) => {
      const u = await member(big)
      const s = await open(u)
      const joined = await join(s, big, 2)
      t.equal(joined.type, 'joined')
      t.same(joined.skipped, { after: 2, through: 31 }, 'what was not replayed')
      t.equal(joined.lastSeq, 31, 'live from the end of it')
      t.same(seqs(s.frames), [], 'no message came before joined')
      // The client pages (after, through] forward, as the SDK does.
      const paged: number[] = []
      let after: number | null = joined.skipped.after
      while (after !== null) {
        const page = await call(app, 'GET', `/api/rooms/${big}/messages?after=${after}&limit=7`, { as: u })
        t.equal(page.status, 200)
        paged.push(...page.body.items.map((m: { seq: number }) => m.seq))
        after = page.body.nextCursor === null ? null : Number(page.body.nextCursor)
      }
      t.same(
        paged,
        Array.from({ length: 28 }, (_, i) => i + 3),
        'messages 3..30 (seq 31 is the edit of message 1, which history shows as it is now)',
      )
      await call(app, 'POST', `/api/rooms/${big}/messages`, {
        as: admin,
        body: { text: 'next', clientMsgId: 'n1' },
      })
      t.equal((await s.next((f) => f.type === 'message')).message.seq, 32, 'the next event comes live')
    },
  )

  t.test('the replay budget counts every join of the socket; another socket has its own', async (t) => {
    const u = await member(small)
    const s = await open(u)
    for (let i = 0; i < 3; i++) {
      const from = s.frames.length
      const joined = await join(s, small, 0)
      t.notOk('skipped' in joined, `join ${i + 1} replayed (${(i + 1) * 16} of 50)`)
      t.equal(seqs(s.frames.slice(from)).length, 16)
    }
    const from = s.frames.length
    const fourth = await join(s, small, 0)
    t.same(fourth.skipped, { after: 0, through: 16 }, 'the fourth would pass the budget: skipped')
    t.same(seqs(s.frames.slice(from)), [], 'and nothing replayed')
    const small2 = await join(s, small, 14)
    t.notOk('skipped' in small2, 'what is left of the budget still replays a short one')
    const other = await open(u)
    const theirs = await join(other, small, 0)
    t.notOk('skipped' in theirs, 'another socket of the same user has a budget of its own')
  })

  t.test('a second join of a room while one runs is refused, not queued', async (t) => {
    const s = await open(await member(small))
    // Both in one write: the second is read while the first is under way.
    const raw = (s.ws as WebSocket & { _socket: import('node:net').Socket })._socket
    raw.cork()
    s.send({ type: 'join', room: small, since: 0 })
    s.send({ type: 'join', room: small, since: 0 })
    raw.uncork()
    const refused = await s.next((f) => f.type === 'error')
    t.equal(refused.code, 'JOIN_IN_PROGRESS')
    t.equal(refused.ref, small, 'ref names the room')
    await s.next((f) => f.type === 'joined')
    const again = await join(s, small, 10)
    t.equal(again.type, 'joined', 'once joined, the room may be joined again')
    t.equal(s.frames.filter((f) => f.type === 'joined').length, 2, 'one joined per join that ran')
    t.same(
      seqs(s.frames),
      [...Array.from({ length: 16 }, (_, i) => i + 1), 11, 12, 13, 14, 15, 16],
      'the first join replayed once, the later one from its since',
    )
  })

  t.test('a join left before its joined gets none and follows nothing', async (t) => {
    const s = await open(await member(small))
    const raw = (s.ws as WebSocket & { _socket: import('node:net').Socket })._socket
    raw.cork()
    s.send({ type: 'join', room: small, since: 0 })
    s.send({ type: 'leave', room: small })
    raw.uncork()
    s.send({ type: 'ping' })
    await s.next((f) => f.type === 'pong')
    await call(app, 'POST', `/api/rooms/${small}/messages`, {
      as: admin,
      body: { text: 'after', clientMsgId: 'a1' },
    })
    // The left join may still be winding up: a client tries again, as on JOIN_IN_PROGRESS.
    let later = await join(s, small, 16)
    while (later.code === 'JOIN_IN_PROGRESS') later = await join(s, small, 16)
    t.equal(later.type, 'joined', 'a join sent after it runs')
    t.equal(s.frames.filter((f) => f.type === 'joined').length, 1, 'only that one answered')
    t.same(seqs(s.frames), [17], 'the left join replayed nothing and delivered nothing live')
  })
})
