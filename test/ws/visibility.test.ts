// Someone else's direct room on the socket, on the run's backend: `join` and `send` answer the
// same error frame as for a room that does not exist (only `ref` echoes what was sent).
import t from 'tap'
import { newId } from '../../src/ids.ts'
import { call, newUser } from '../helpers/api.ts'
import { backendName, buildTestApp } from '../helpers/app.ts'
import { type Frame, joinRoom, listen, type RawSocket, socketOpener } from '../helpers/ws.ts'

t.test(`rooms one may not see, on the socket on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const url = await listen(app)
  const open = socketOpener(t)
  const [ann, bob, eve] = [await newUser(app), await newUser(app), await newUser(app)]
  const dm = (await call(app, 'POST', '/api/dms', { as: ann, body: { userId: bob.userId } })).body.room
  const s = await open(url, eve)
  /** The frame that answers `frame`, its `ref` left out. */
  const answer = async (sock: RawSocket, frame: object, ref: string) => {
    const from = sock.frames.length
    sock.send(frame)
    const { ref: echoed, ...rest } = await sock.next((f) => f.type === 'error' && f.ref === ref, 5000, from)
    t.equal(echoed, ref)
    return rest as Frame
  }

  t.test('join: the same error frame as for an unknown room', async (t) => {
    const unknown = newId()
    const hidden = await answer(s, { type: 'join', room: dm.id }, dm.id)
    t.same(hidden, await answer(s, { type: 'join', room: unknown }, unknown))
    t.equal(hidden.code, 'NOT_FOUND')
  })

  t.test('send: the same error frame as for an unknown room', async (t) => {
    const hidden = await answer(s, { type: 'send', room: dm.id, clientMsgId: 'h1', text: 'hi' }, 'h1')
    const unknown = await answer(s, { type: 'send', room: newId(), clientMsgId: 'u1', text: 'hi' }, 'u1')
    t.same(hidden, unknown)
    t.equal(hidden.code, 'NOT_FOUND')
    t.same(
      (await call(app, 'GET', `/api/rooms/${dm.id}/messages`, { as: ann })).body.items,
      [],
      'nothing stored',
    )
  })

  t.test('its members still join it', async (t) => {
    const a = await open(url, ann)
    t.match(await joinRoom(a, dm.id), { type: 'joined', room: dm.id })
  })
})
