// Conversations on the socket, on the run's backend: edits, deletions and reaction changes are
// `update` frames in the room's seq order, replayed by `join {since}` with the final state;
// `read` reaches all of the user's sockets, following the room or not; `removed` with reason `kicked`; MUTED on a send;
// `send` with `replyTo`.
import t from 'tap'
import { type Caller, call, loginAdmin, newUser, roomWith } from '../helpers/api.ts'
import { backendName, buildTestApp } from '../helpers/app.ts'
import { type Frame, joinRoom, listen, type RawSocket, socketOpener } from '../helpers/ws.ts'

t.test(`conversations on the socket on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const url = await listen(app)
  const admin = await loginAdmin(app)
  const open = socketOpener(t)
  const room = (...members: Caller[]) => roomWith({ create: app }, admin, members, 'ws')
  /** The stream's frames (messages and updates) of a room, by the seq each takes. */
  const stream = (s: RawSocket, roomId: string) =>
    s.frames
      .filter(
        (f) =>
          (f.type === 'message' && f.message.room === roomId) || (f.type === 'update' && f.room === roomId),
      )
      .map((f: Frame) => (f.type === 'message' ? { seq: f.message.seq, f } : { seq: f.seq, f }))

  t.test(
    'updates take the next seq, in order with messages; since replays the final state once',
    async (t) => {
      const [ann, bob] = [await newUser(app), await newUser(app)]
      const id = await room(ann, bob)
      const live = await open(url, bob)
      await joinRoom(live, id)
      const said = await open(url, ann)
      await joinRoom(said, id)
      said.send({ type: 'send', room: id, clientMsgId: 'a1', text: 'first' })
      await said.next((f) => f.type === 'ack' && f.clientMsgId === 'a1')
      said.send({ type: 'send', room: id, clientMsgId: 'a2', text: 'answer', replyTo: 1 })
      const ack = await said.next((f) => f.type === 'ack' && f.clientMsgId === 'a2')
      t.equal(ack.seq, 2)
      await call(app, 'PATCH', `/api/rooms/${id}/messages/1`, { as: ann, body: { text: 'first, fixed' } })
      await call(app, 'PUT', `/api/rooms/${id}/messages/2/reactions/${encodeURIComponent('🎉')}`, { as: bob })
      await call(app, 'DELETE', `/api/rooms/${id}/messages/2`, { as: ann })
      await live.collect('update', 3)
      const got = stream(live, id)
      t.same(
        got.map((g) => g.seq),
        [1, 2, 3, 4, 5],
        'one stream, no gaps',
      )
      t.match(got[1]!.f.message, { replyTo: { seq: 1, text: 'first' } })
      t.match(got[2]!.f, {
        type: 'update',
        seq: 3,
        message: { seq: 1, text: 'first, fixed' },
        change: { kind: 'edit' },
      })
      t.match(got[3]!.f, {
        seq: 4,
        message: { seq: 2, reactions: [{ emoji: '🎉', count: 1, mine: false }] },
        change: { kind: 'react', emoji: '🎉', by: bob.userId },
      })
      t.match(got[4]!.f, { seq: 5, message: { seq: 2, deleted: true, text: '' }, change: { kind: 'delete' } })

      // Offline since seq 1: the replay gives every event after it, each once, in the final state.
      const back = await open(url, bob)
      const joined = await joinRoom(back, id, 1)
      t.equal(joined.lastSeq, 5)
      const replayed = stream(back, id)
      t.same(
        replayed.map((g) => g.seq),
        [2, 3, 4, 5],
      )
      t.match(replayed[0]!.f.message, { seq: 2, deleted: true, text: '' }, 'the message in its current state')
      t.match(replayed[1]!.f.message, { seq: 1, text: 'first, fixed' })
    },
  )

  t.test('read markers reach my other sockets', async (t) => {
    const [ann, bob] = [await newUser(app), await newUser(app)]
    const id = await room(ann, bob)
    const [tab1, tab2, other] = [await open(url, ann), await open(url, ann), await open(url, bob)]
    for (const s of [tab1, tab2, other]) await joinRoom(s, id)
    // A tab of ann's that follows no room (another page of the app): its badge clears too.
    const elsewhere = await open(url, ann)
    elsewhere.send({ type: 'ping' })
    await elsewhere.next((f) => f.type === 'pong')
    await call(app, 'POST', `/api/rooms/${id}/messages`, { as: bob, body: { text: 'hi', clientMsgId: 'b1' } })
    t.equal((await call(app, 'POST', `/api/rooms/${id}/read`, { as: ann, body: { seq: 1 } })).status, 204)
    for (const s of [tab1, tab2])
      t.same(await s.next((f) => f.type === 'read'), { type: 'read', room: id, seq: 1 })
    t.same(
      await elsewhere.next((f) => f.type === 'read'),
      { type: 'read', room: id, seq: 1 },
      'also to a socket of the user that does not follow the room',
    )
    await new Promise((r) => setTimeout(r, 100))
    t.notOk(
      other.frames.some((f) => f.type === 'read'),
      'not to others',
    )
  })

  t.test('kick: removed with reason kicked; mute: MUTED on the socket', async (t) => {
    const [ann, bob] = [await newUser(app), await newUser(app)]
    const id = await room(ann, bob)
    const [a, b] = [await open(url, ann), await open(url, bob)]
    await joinRoom(a, id)
    await joinRoom(b, id)
    await call(app, 'POST', `/api/rooms/${id}/members/${ann.userId}/mute`, {
      as: admin,
      body: { minutes: 10 },
    })
    a.send({ type: 'send', room: id, clientMsgId: 'm1', text: 'let me speak' })
    t.match(await a.next((f) => f.type === 'error'), { code: 'MUTED', ref: 'm1' })
    await call(app, 'POST', `/api/rooms/${id}/members/${bob.userId}/kick`, { as: admin })
    t.same(await b.next((f) => f.type === 'removed'), { type: 'removed', room: id, reason: 'kicked' })
    b.send({ type: 'join', room: id })
    t.match(await b.next((f) => f.type === 'error'), { code: 'NOT_MEMBER' })
  })
})
