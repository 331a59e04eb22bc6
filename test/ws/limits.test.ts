// Socket limits that a valid client never meets and an abusive one cannot dodge: the longest
// valid message passes however it is escaped; bad frames are forgiven after a window; sockets
// per user and rooms per socket are capped; hostile frames log little, at a low level, without stacks.
import t from 'tap'
import { buildApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { call, loginAdmin, newUser } from '../helpers/api.ts'
import { backendName, sharedEnv } from '../helpers/app.ts'
import { captureLogs } from '../helpers/logs.ts'
import { connect, listen } from '../helpers/ws.ts'

t.test(`socket limits on ${backendName}`, async (t) => {
  const log = captureLogs()
  const config = loadConfig({
    ...sharedEnv(t).env,
    WS_BAD_FRAME_WINDOW_SECONDS: '2',
    WS_MAX_SOCKETS_PER_USER: '3',
    WS_MAX_ROOMS_PER_SOCKET: '2',
    LOG_LEVEL: 'debug',
  })
  const app = await buildApp(config, { logger: { level: 'debug', stream: log.stream } })
  t.teardown(() => app.close())
  await app.core.accounts.ensureAdmin(config.ADMIN_USERNAME, config.ADMIN_PASSWORD)
  const url = await listen(app)
  const user = await loginAdmin(app)
  const room = (await call(app, 'POST', '/api/rooms', { as: user, body: { name: 'limits' } })).body.room

  t.test('4000 emoji written as JSON escapes (a 48 KB frame) are a valid message', async (t) => {
    const s = await connect(url, { token: user.token })
    t.teardown(() => s.close())
    const escaped = '\\ud83d\\ude00'.repeat(4000)
    const frame = `{"type":"send","room":"${room.id}","clientMsgId":"escaped-emoji","text":"${escaped}"}`
    t.ok(frame.length > 48_000, `${frame.length} bytes`)
    s.send(frame)
    const ack = await s.next((f) => f.type === 'ack')
    t.equal(ack.clientMsgId, 'escaped-emoji')
    const stored = await call(app, 'GET', `/api/rooms/${room.id}/messages`, { as: user })
    t.equal(stored.body.items.at(-1).text, '😀'.repeat(4000), 'stored as 4000 emoji')
    t.equal(s.closed, null)
  })

  t.test('bad frames are counted over a sliding window', async (t) => {
    const s = await connect(url, { token: user.token })
    t.teardown(() => s.close())
    for (let i = 0; i < 19; i++) s.send('not json')
    await s.collect('error', 19)
    await new Promise((r) => setTimeout(r, 2_200)) // the window passes
    for (let i = 0; i < 30; i++) s.send({ type: 'ping' })
    await s.collect('pong', 30)
    s.send('not json')
    s.send('not json')
    await s.collect('error', 21)
    s.send({ type: 'ping' })
    await s.collect('pong', 31)
    t.equal(s.closed, null, '19 bad, 30 good and 2 bad later: still open')
    for (let i = 0; i < 21; i++) s.send('not json')
    t.equal((await s.waitClosed()).code, 1008, '21 bad within the window: 1008')
  })

  t.test('sockets per user are capped', async (t) => {
    const open = [
      await connect(url, { token: user.token }),
      await connect(url, { token: user.token }),
      await connect(url, { token: user.token }),
    ]
    t.teardown(() => {
      for (const s of open) s.close()
    })
    const refused = await connect(url, { token: user.token }).then(
      () => 0,
      (err: { status?: number }) => err.status,
    )
    t.equal(refused, 429, 'the fourth is refused before the upgrade')
    const other = await newUser(app, 'unlimited_other', 'password-123')
    const theirs = await connect(url, { token: other.token })
    t.equal(theirs.closed, null, 'another user is not affected')
    theirs.close()
    open.shift()!.close()
    await new Promise((r) => setTimeout(r, 200))
    const again = await connect(url, { token: user.token })
    t.equal(again.closed, null, 'after one closes, a new one opens')
    open.push(again)
  })

  t.test('rooms per socket are capped (WS_MAX_ROOMS_PER_SOCKET)', async (t) => {
    const rooms: string[] = []
    for (const name of ['cap 1', 'cap 2', 'cap 3'])
      rooms.push((await call(app, 'POST', '/api/rooms', { as: user, body: { name } })).body.room.id)
    const s = await connect(url, { token: user.token })
    t.teardown(() => s.close())
    const join = async (room: string) => {
      const from = s.frames.length
      s.send({ type: 'join', room })
      return s.next(
        (f) => (f.type === 'joined' || f.type === 'error') && (f.room ?? f.ref) === room,
        5000,
        from,
      )
    }
    t.equal((await join(rooms[0]!)).type, 'joined')
    t.equal((await join(rooms[1]!)).type, 'joined')
    t.match(
      await join(rooms[2]!),
      { type: 'error', code: 'RATE_LIMITED', ref: rooms[2] },
      'a third room is refused',
    )
    t.equal((await join(rooms[1]!)).type, 'joined', 'a room it follows may be joined again (since)')
    s.send({ type: 'leave', room: rooms[0] })
    t.equal((await join(rooms[2]!)).type, 'joined', 'after leaving one, another may be followed')
    t.equal(s.closed, null)
  })

  t.test('hostile frames log little, without stacks', async (t) => {
    const before = log.lines.length
    const hostile = await newUser(app, 'hostile', 'password-123')
    const s = await connect(url, { token: hostile.token })
    t.teardown(() => s.close())
    for (let i = 0; i < 15; i++) s.send('{"type":"join","room":"not-an-id"}')
    for (let i = 0; i < 5; i++) s.send({ type: 'join', room: 'ffffffffffffffffffffffff' })
    await s.collect('error', 20)
    const logged = log.entries(before)
    const aboutFrames = logged.filter((l) => /bad frame|socket request failed/.test(l.msg))
    t.ok(aboutFrames.length <= 2, `${aboutFrames.length} lines for 20 hostile frames`)
    t.ok(
      logged.every((l) => l.level < 50 && !JSON.stringify(l).includes('    at ')),
      'no error-level line and no stack',
    )
  })
})
