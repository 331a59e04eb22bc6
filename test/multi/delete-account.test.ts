// An account deleted on instance A: its sockets on instance B close at once (the revocation
// goes over the bus), and with eraseMessages a member's socket on B receives every deletion.
// Over MongoDB-wire + Redis.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { CloseCodes } from '../../src/schemas/frames.ts'
import { call, newUser } from '../helpers/api.ts'
import { buildTestApp, sharedEnv } from '../helpers/app.ts'
import { mongoUrl, needServer, redisUrl } from '../helpers/servers.ts'
import { joinRoom, listen, socketOpener } from '../helpers/ws.ts'

t.test('deleting an account across instances', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl) || !needServer(t, 'Redis', redisUrl)) return
  const shared = sharedEnv(t, {}, { scaled: true })
  const a = await buildTestApp(t, shared)
  const b = await buildTestApp(t, shared)
  const open = socketOpener(t)
  const urlB = await listen(b)
  const [ann, bob] = [await newUser(a), await newUser(a)]
  await a.core.internals.store.users.extendVip(ann.userId, 30, new Date())
  const room = (await call(a, 'POST', '/api/rooms', { as: ann, body: { name: 'leaving' } })).body.room.id
  t.equal((await call(a, 'POST', `/api/rooms/${room}/join`, { as: bob })).status, 200)
  const seqs: number[] = []
  for (let i = 0; i < 5; i++) {
    const sent = await call(a, 'POST', `/api/rooms/${room}/messages`, {
      as: ann,
      body: { text: `words ${i}`, clientMsgId: `c-${randomBytes(6).toString('hex')}` },
    })
    seqs.push(sent.body.message.seq)
  }

  const annOnB = await open(urlB, ann)
  await joinRoom(annOnB, room)
  const bobOnB = await open(urlB, bob)
  await joinRoom(bobOnB, room)

  const del = await call(a, 'DELETE', '/api/me', {
    as: ann,
    body: { password: 'password-123', eraseMessages: true },
  })
  t.equal(del.status, 204)

  const closed = await annOnB.waitClosed()
  t.equal(closed.code, CloseCodes.REVOKED, 'the socket on B is closed as revoked')
  for (const seq of seqs) {
    const frame = await bobOnB.next(
      (f) => f.type === 'update' && f.change?.kind === 'delete' && f.message?.seq === seq,
    )
    t.equal(frame.message.deleted, true, `B hears the deletion of ${seq}`)
  }
  t.equal((await call(b, 'GET', '/api/me', { as: ann })).status, 401, 'the session is dead on B too')
  const page = await call(b, 'GET', `/api/users/${ann.userId}`, { as: bob })
  t.equal(page.body.user.displayName, 'deleted user', "B's views follow")
})
