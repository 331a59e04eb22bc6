// Slow clients cannot hold connections: a JSON body trickled a byte at a time (its own short
// bound; an upload keeps the whole request's), headers that never end or begin late, a silent
// connection and an idle keep-alive connection are each closed within their bound, and answered
// 408 in the error shape.
import { connect, type Socket } from 'node:net'
import t from 'tap'
import { call, loginAdmin } from '../helpers/api.ts'
import { buildTestApp, sharedEnv } from '../helpers/app.ts'

const METRICS = 'timeouts-metrics-token-0123456789'

interface Watched {
  socket: Socket
  received: () => string
  closed: Promise<number>
}

/** A raw connection; `closed` resolves to the milliseconds it stayed open. */
function open(port: number): Promise<Watched> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    let data = ''
    const socket = connect(port, '127.0.0.1', () =>
      resolve({
        socket,
        received: () => data,
        closed: new Promise((r) => socket.once('close', () => r(Date.now() - started))),
      }),
    )
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => {
      data += d
    })
    socket.on('error', () => {})
    socket.once('error', reject)
  })
}

/** Writes `chunk` every 300 ms while the socket is writable; returns the stop. */
function trickle(c: Watched, chunk: string): () => void {
  const timer = setInterval(() => c.socket.writable && c.socket.write(chunk), 300)
  return () => clearInterval(timer)
}

/** The JSON body of the answer the connection received. */
const answerOf = (c: Watched) => JSON.parse(c.received().slice(c.received().indexOf('\r\n\r\n') + 4))

t.test('HTTP timeouts', async (t) => {
  const app = await buildTestApp(
    t,
    sharedEnv(t, {
      HTTP_HEADERS_TIMEOUT_SECONDS: '1',
      HTTP_BODY_TIMEOUT_SECONDS: '1',
      HTTP_REQUEST_TIMEOUT_SECONDS: '3',
      HTTP_IDLE_TIMEOUT_SECONDS: '5',
      HTTP_KEEPALIVE_SECONDS: '1',
      METRICS_TOKEN: METRICS,
    }),
  )
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }

  t.test('a JSON body trickled one byte at a time is cut off at the body timeout', async (t) => {
    const c = await open(port)
    c.socket.write(
      'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{',
    )
    const stop = trickle(c, ' ')
    const ms = await c.closed
    stop()
    // Each byte restarts the idle time-out (5 s); the whole request would have 3 s.
    t.ok(ms >= 950 && ms < 1_600, `closed after ${ms} ms (bound: 1 s from the end of the headers)`)
    t.match(c.received(), /^HTTP\/1\.1 408/, 'with 408 Request Timeout')
    t.match(answerOf(c), { statusCode: 408, code: 'TIMEOUT', error: 'Request Timeout' }, 'in the error shape')
  })

  t.test('an upload keeps the request timeout for its body', async (t) => {
    const admin = await loginAdmin(app)
    const room = (await call(app, 'POST', '/api/rooms', { as: admin, body: { name: 'Slow upload' } })).body
      .room
    const c = await open(port)
    c.socket.write(
      `POST /api/rooms/${room.id}/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin.token}\r\n` +
        'Content-Type: multipart/form-data; boundary=XX\r\nContent-Length: 100000\r\n\r\n' +
        '--XX\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\n',
    )
    const stop = trickle(c, 'a')
    const ms = await c.closed
    stop()
    t.ok(ms >= 2_900 && ms < 4_500, `closed after ${ms} ms (bound: 3 s, checked every half second)`)
    t.match(answerOf(c), { statusCode: 408, code: 'TIMEOUT' })
  })

  t.test('headers that never end are cut off at the headers timeout', async (t) => {
    const c = await open(port)
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n')
    const stop = trickle(c, 'X-Slow: 1\r\n')
    const ms = await c.closed
    stop()
    t.ok(ms >= 950 && ms < 1_500, `closed after ${ms} ms (bound: 1 s)`)
    t.match(answerOf(c), { statusCode: 408, code: 'TIMEOUT' })
  })

  t.test("headers begun late still end at the headers timeout from the connection's opening", async (t) => {
    // The client stays silent first (its behaviour under test, not a wait for the server), then
    // trickles headers: their bound runs from the connection's opening, not from the first byte.
    const c = await open(port)
    let stop = () => {}
    const late = setTimeout(() => {
      c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n')
      stop = trickle(c, 'X-Slow: 1\r\n')
    }, 700)
    const ms = await c.closed
    clearTimeout(late)
    stop()
    t.ok(ms >= 950 && ms < 1_500, `closed after ${ms} ms (bound: 1 s from the opening)`)
  })

  t.test('each cut is counted by phase', async (t) => {
    const res = await call(app, 'GET', '/metrics', { as: METRICS })
    const count = (phase: string) =>
      Number(new RegExp(`^http_request_timeouts_total\\{phase="${phase}"\\} (\\d+)`, 'm').exec(res.body)?.[1])
    t.ok(count('body') >= 1, 'body')
    t.ok(count('headers') >= 2, 'headers')
    t.ok(count('request') >= 1, 'request (the upload)')
  })

  t.test('a silent connection is closed', async (t) => {
    const c = await open(port)
    const ms = await c.closed
    t.ok(ms < 6_000, `closed after ${ms} ms`)
  })

  t.test('an idle keep-alive connection is let go after the keep-alive timeout', async (t) => {
    const c = await open(port)
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
    const ms = await c.closed
    t.match(c.received(), /^HTTP\/1\.1 200/)
    t.match(c.received(), /Keep-Alive: timeout=1/i, 'the bound is announced')
    t.ok(ms < 4_000, `closed after ${ms} ms (bound: 1 s, checked every second)`)
  })

  t.test('a normal request is unaffected', async (t) => {
    const res = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'admin-password-1' }),
    })
    t.equal(res.status, 200)
  })
})

t.test('by default an idle connection is kept longer than a proxy keeps its own (60 s)', async (t) => {
  // A proxy or a client that reuses a connection the server is closing sees a reset: the server's
  // idle time-out must outlast theirs, and the Keep-Alive hint says how long it is.
  const app = await buildTestApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const res = await fetch(`http://127.0.0.1:${port}/healthz`)
  await res.arrayBuffer()
  const hint = Number(/timeout=(\d+)/.exec(res.headers.get('keep-alive') ?? '')?.[1])
  t.ok(hint > 60, `Keep-Alive: timeout=${hint}`)
  t.equal(app.server.keepAliveTimeout, hint * 1000)
})
