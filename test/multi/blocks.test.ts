// A block on instance A holds for a send on instance B as soon as B has the chat state's notice
// (the lists each instance keeps for sends are dropped over the bus, as mutes are), and an
// unblock on A opens the direct room on B the same way. Over MongoDB-wire + Redis.
import t from 'tap'
import { stateChannel } from '../../src/rooms/chat-state.ts'
import { call, newUser } from '../helpers/api.ts'
import { buildTestApp, sharedEnv } from '../helpers/app.ts'
import { mongoUrl, needServer, redisUrl } from '../helpers/servers.ts'

t.test('blocks across instances', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl) || !needServer(t, 'Redis', redisUrl)) return
  const shared = sharedEnv(t, {}, { scaled: true })
  const a = await buildTestApp(t, shared)
  const b = await buildTestApp(t, shared)
  const [ann, bob] = [await newUser(a), await newUser(a)]
  const room = (await call(a, 'POST', '/api/dms', { as: bob, body: { userId: ann.userId } })).body.room.id
  let n = 0
  const sendOnB = () =>
    call(b, 'POST', `/api/rooms/${room}/messages`, {
      as: bob,
      body: { text: `m${n}`, clientMsgId: `c${n++}` },
    })
  t.equal((await sendOnB()).status, 201, 'B keeps what the send needs')

  /** Resolves when B has the notice of ann's blocks changing. */
  const noticeOnB = async () => {
    let seen!: () => void
    const got = new Promise<void>((r) => {
      seen = r
    })
    const off = await b.core.internals.bus.subscribe(stateChannel.name, (raw) => {
      if (stateChannel.decode(raw).e.some((e) => e.k === 'blocks' && e.user === ann.userId)) seen()
    })
    return async () => {
      await got
      await off()
    }
  }

  let arrived = await noticeOnB()
  t.equal((await call(a, 'PUT', `/api/me/blocks/${bob.userId}`, { as: ann })).status, 204)
  await arrived()
  t.match(await sendOnB(), { status: 403, body: { code: 'BLOCKED' } }, 'refused on B once B has the notice')

  arrived = await noticeOnB()
  t.equal((await call(a, 'DELETE', `/api/me/blocks/${bob.userId}`, { as: ann })).status, 204)
  await arrived()
  t.equal((await sendOnB()).status, 201, 'unblocked on A: passes on B')
  t.same((await call(b, 'GET', '/api/me', { as: ann })).body.user.blocked, [], "B's own view follows too")
})
