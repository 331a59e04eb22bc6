// A JSON body is checked as sent: a value of the wrong type is a 400 VALIDATION, never converted
// into the right one, as the socket refuses the same input in its frames. Query strings and path
// parameters are text, and still read as the numbers their schemas say.
import t from 'tap'
import { call, loginAdmin } from '../helpers/api.ts'
import { ADMIN, backendName, buildTestApp } from '../helpers/app.ts'
import { joinRoom, listen, socketOpener } from '../helpers/ws.ts'

t.test(`bodies are validated without conversion on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const admin = await loginAdmin(app)
  const room = (await call(app, 'POST', '/api/rooms', { as: admin, body: { name: 'Types' } })).body.room
  const send = (body: object) => call(app, 'POST', `/api/rooms/${room.id}/messages`, { as: admin, body })

  const refused: [string, object][] = [
    ['a number where text belongs', { text: 12345, clientMsgId: 'n1' }],
    ['an array where text belongs', { text: ['a'], clientMsgId: 'n2' }],
    ['a string where a seq belongs', { text: 'hi', clientMsgId: 'n3', replyTo: '1' }],
    ['a boolean where text belongs', { text: true, clientMsgId: 'n4' }],
    ['a number where the client id belongs', { text: 'hi', clientMsgId: 5 }],
  ]
  for (const [what, body] of refused) {
    const res = await send(body)
    t.equal(res.status, 400, what)
    t.equal(res.body.code, 'VALIDATION', what)
  }
  // The same sends as socket frames: refused alike, one rule for both ways in.
  const socket = await socketOpener(t)(await listen(app), admin)
  await joinRoom(socket, room.id)
  for (const [what, body] of refused) {
    const from = socket.frames.length
    socket.send({ type: 'send', room: room.id, ...body })
    const answer = await socket.next((f) => f.type === 'error' || f.type === 'ack', 5000, from)
    t.match(answer, { type: 'error', code: 'BAD_FRAME' }, `socket: ${what}`)
  }
  const history = await call(app, 'GET', `/api/rooms/${room.id}/messages`, { as: admin })
  t.same(history.body.items, [], 'nothing was stored')

  const first = await send({ text: 'first', clientMsgId: 'ok1' })
  t.equal(first.status, 201, 'the same send with the right types passes')
  const reply = await send({ text: 'second', clientMsgId: 'ok2', replyTo: first.body.message.seq })
  t.equal(reply.status, 201, 'a seq sent as a JSON number passes')
  t.equal(reply.body.message.replyTo.seq, first.body.message.seq)

  for (const username of [[ADMIN.username], 1234, { $ne: null }]) {
    const res = await call(app, 'POST', '/api/auth/login', { body: { username, password: ADMIN.password } })
    t.equal(res.status, 400, `login with username ${JSON.stringify(username)}`)
    t.equal(res.body.code, 'VALIDATION')
  }
  const read = await call(app, 'POST', `/api/rooms/${room.id}/read`, { as: admin, body: { seq: '1' } })
  t.equal(read.status, 400, 'a read marker sent as a string')

  const page = await call(app, 'GET', `/api/rooms/${room.id}/messages?limit=1`, { as: admin })
  t.equal(page.status, 200, 'a query string still reads "1" as a number')
  t.equal(page.body.items.length, 1)
  t.equal((await call(app, 'GET', `/api/rooms/${room.id}/messages?limit=x`, { as: admin })).status, 400)
  const bySeq = await call(app, 'PATCH', `/api/rooms/${room.id}/messages/${first.body.message.seq}`, {
    as: admin,
    body: { text: 'first, edited' },
  })
  t.equal(bySeq.status, 200, 'a path parameter still reads as a number')
})
