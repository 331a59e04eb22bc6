// Reading on one tab clears the badge on the others, across instances: a read marker moved over
// HTTP on instance 0 reaches every socket of that user on both instances, the ones that follow
// the room and the ones that follow nothing, and no socket of anyone else.
import t from 'tap'
import { startCluster } from '../helpers/cluster.ts'
import { expectHttp, http } from '../helpers/http-caller.ts'
import type { ServerProcess } from '../helpers/instance.ts'
import { seedRoom } from '../helpers/seed.ts'
import { mongoUrl, needServer, redisUrl } from '../helpers/servers.ts'
import { sleep } from '../helpers/wait.ts'
import { connect, type RawSocket } from '../helpers/ws.ts'

t.test('a read marker reaches all of the user’s sockets on every instance', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl) || !needServer(t, 'Redis', redisUrl)) return
  const { servers, outputs } = await startCluster(t, 'readsync', redisUrl!, {}, 2)
  const [i0, i1] = servers as [ServerProcess, ServerProcess]
  const { users, room } = await seedRoom(
    servers.map((s) => s.base),
    ['ann', 'bob'],
    'Read sync',
  )
  const [ann, bob] = users as [(typeof users)[0], (typeof users)[0]]

  const sockets: RawSocket[] = []
  t.teardown(() => {
    for (const s of sockets) s.close()
  })
  /** A socket of `token` on the instance, attached there (it answered a ping), following `room` if given. */
  const open = async (server: ServerProcess, token: string, follow?: string) => {
    const s = await connect(server.wsUrl, { token })
    sockets.push(s)
    s.send({ type: 'ping' })
    await s.next((f) => f.type === 'pong')
    if (follow) {
      s.send({ type: 'join', room: follow })
      await s.next((f) => f.type === 'joined' && f.room === follow)
    }
    return s
  }
  const followingOn0 = await open(i0, ann.token, room.id)
  const followingOn1 = await open(i1, ann.token, room.id)
  const idleOn1 = await open(i1, ann.token)
  const bobOn1 = await open(i1, bob.token, room.id)

  const sent = await http(i1.base, 'POST', `/api/rooms/${room.id}/messages`, {
    token: bob.token,
    body: { text: 'unread', clientMsgId: 'b1' },
  })
  t.equal(sent.status, 201, 'bob wrote a message')
  await expectHttp(204, i0.base, 'POST', `/api/rooms/${room.id}/read`, { token: ann.token, body: { seq: 1 } })

  const expected = { type: 'read', room: room.id, seq: 1 }
  for (const [name, s] of [
    ['the socket following the room on instance 0', followingOn0],
    ['the socket following the room on instance 1', followingOn1],
    ['the socket following nothing on instance 1', idleOn1],
  ] as const) {
    const got = await s
      .next((f) => f.type === 'read', 5000)
      .catch((err: Error) => {
        t.comment(outputs())
        throw err
      })
    t.same(got, expected, name)
  }
  await sleep(200)
  t.notOk(
    bobOn1.frames.some((f) => f.type === 'read'),
    'not to another user',
  )
  for (const s of [followingOn0, followingOn1, idleOn1])
    t.equal(s.frames.filter((f) => f.type === 'read').length, 1, 'once per socket')

  const unread = await expectHttp<{ items: unknown[] }>(200, i1.base, 'GET', '/api/me/unread', {
    token: ann.token,
  })
  t.same(unread.items, [], 'and read on every instance')
})
