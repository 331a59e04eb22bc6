import t from 'tap'
import { call, loginAdmin, newUser } from '../helpers/api.ts'
import { backendName, buildTestApp } from '../helpers/app.ts'
import { connect, listen } from '../helpers/ws.ts'

t.test(`smoke on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const url = await listen(app)
  const admin = await loginAdmin(app)
  const room = (await call(app, 'POST', '/api/rooms', { as: admin, body: { name: 'Lobby' } })).body.room
  const bob = await newUser(app)
  t.equal((await call(app, 'POST', `/api/rooms/${room.id}/join`, { as: bob })).status, 200)
  const a = await connect(url, { token: admin.token })
  const b = await connect(url, { token: bob.token })
  t.teardown(() => {
    a.close()
    b.close()
  })
  a.send({ type: 'join', room: room.id })
  b.send({ type: 'join', room: room.id })
  await a.next((f) => f.type === 'joined')
  await b.next((f) => f.type === 'joined')
  a.send({ type: 'send', room: room.id, clientMsgId: 'c1', text: 'hi 👋' })
  const ack = await a.next((f) => f.type === 'ack')
  t.equal(ack.seq, 1)
  const got = await b.next((f) => f.type === 'message')
  t.equal(got.message.text, 'hi 👋')
  await a.next((f) => f.type === 'message')
})
