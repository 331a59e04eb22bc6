// Conversations through the client package: ChatHttp's methods for every new route, and
// ChatSocket's `update` (in the room's seq order with messages, across a reconnect with `since`)
// and `read` events, and `send` with `replyTo`.
import { ApiError, type ReadFrame, type UpdateFrame } from '@roomchat/client'
import t from 'tap'
import {
  admin,
  backendName,
  inbox,
  room,
  socket,
  startServer,
  until,
  user,
  within,
} from './fixtures/setup.ts'

t.test(`conversations through the client on ${backendName}`, async (t) => {
  const server = await startServer(t)
  const root = await admin(server)
  const alice = await user(server)
  const bob = await user(server)
  const roomId = await room(server, [alice, bob])

  t.test('ChatHttp: edit, react, delete, read, unread, dm, mute, kick', async (t) => {
    const m = await alice.http.sendMessage(roomId, `hi @${bob.username}`)
    t.same(m.mentions, [bob.id])
    const reply = await bob.http.sendMessage(roomId, 'hello', undefined, { replyTo: m.seq })
    t.match(reply.replyTo, { seq: m.seq, from: { id: alice.id } })
    t.match(await alice.http.editMessage(roomId, m.seq, 'hi all'), { text: 'hi all', mentions: [] })
    await bob.http.react(roomId, m.seq, '🙂')
    t.match((await alice.http.history(roomId)).items[0]!.reactions, [{ emoji: '🙂', count: 1, mine: false }])
    await bob.http.unreact(roomId, m.seq, '🙂')
    t.match(await bob.http.unread(), [{ room: roomId, unread: 1 }])
    await bob.http.markRead(roomId, 100)
    t.same(await bob.http.unread(), [])
    await alice.http.deleteMessage(roomId, m.seq)
    t.match((await alice.http.history(roomId)).items[0], { deleted: true, text: '' })
    const err = await alice.http.editMessage(roomId, m.seq, 'again').catch((e: ApiError) => e)
    t.ok(err instanceof ApiError && err.code === 'DELETED')
    const dm = await alice.http.openDm(bob.id)
    t.match(dm, { kind: 'dm', peer: { id: bob.id } })
    t.equal((await bob.http.openDm(alice.id)).id, dm.id)
    await root.http.mute(roomId, bob.id, 5)
    const muted = await bob.http.sendMessage(roomId, 'x').catch((e: ApiError) => e)
    t.ok(muted instanceof ApiError && muted.code === 'MUTED')
    await root.http.mute(roomId, bob.id, 0)
    await root.http.kick(roomId, bob.id)
    const out = await bob.http.sendMessage(roomId, 'x').catch((e: ApiError) => e)
    t.ok(out instanceof ApiError && out.code === 'NOT_MEMBER')
  })

  t.test('ChatSocket: updates in seq order with messages, replayed after a reconnect; read', async (t) => {
    const carol = await user(server)
    const id = await room(server, [alice, carol])
    const a = socket(t, { url: server.wsUrl, token: alice.token })
    const c = socket(t, { url: server.wsUrl, token: carol.token })
    const c2 = socket(t, { url: server.wsUrl, token: carol.token })
    const order: number[] = []
    const updates: UpdateFrame[] = []
    const reads: ReadFrame[] = []
    c.on('message', (m) => order.push(m.seq))
    c.on('update', (u) => {
      order.push(u.seq)
      updates.push(u)
    })
    c2.on('read', (r) => reads.push(r))
    const aGot = inbox(a)
    await within(Promise.all([a.connect(), c.connect(), c2.connect()]), 'connect')
    await Promise.all([a.join(id), c.join(id), c2.join(id)])
    const first = await a.send(id, 'one')
    await a.send(id, 'two', { replyTo: first.seq })
    await alice.http.editMessage(id, first.seq, 'one, edited')
    await carol.http.react(id, first.seq, '👍')
    await until(() => order.length === 4, 'four events')
    t.same(order, [1, 2, 3, 4])
    t.match(updates, [
      { seq: 3, message: { seq: 1, text: 'one, edited' }, change: { kind: 'edit', by: alice.id } },
      {
        seq: 4,
        message: { reactions: [{ emoji: '👍', count: 1 }] },
        change: { kind: 'react', by: carol.id },
      },
    ])
    t.match(aGot.get(id)![1], { replyTo: { seq: 1, text: 'one' } })
    await carol.http.markRead(id, 4)
    await until(() => reads.length === 1, 'read on the other tab')
    t.same(reads[0], { type: 'read', room: id, seq: 4 })
  })
})
