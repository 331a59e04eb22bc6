// Slow clients cannot hold connections: a body trickled a byte at a time, headers that never
// end, a silent connection and an idle keep-alive connection are each closed within their bound.
import { connect, type Socket } from 'node:net'
import t from 'tap'
import { buildTestApp, sharedEnv } from '../helpers/app.ts'

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

t.test('HTTP timeouts', async (t) => {
  const app = await buildTestApp(
    t,
    sharedEnv(t, {
      HTTP_HEADERS_TIMEOUT_SECONDS: '1',
      HTTP_REQUEST_TIMEOUT_SECONDS: '2',
      HTTP_IDLE_TIMEOUT_SECONDS: '3',
      HTTP_KEEPALIVE_SECONDS: '1',
    }),
  )
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }

  t.test('a body trickled one byte at a time is cut off at the request timeout', async (t) => {
    const c = await open(port)
    c.socket.write(
      'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{',
    )
    const trickle = setInterval(() => c.socket.writable && c.socket.write(' '), 300)
    const ms = await c.closed
    clearInterval(trickle)
    t.ok(ms < 6_000, `closed after ${ms} ms (bound: 2 s, checked every second)`)
    t.match(c.received(), /^HTTP\/1\.1 408/, 'with 408 Request Timeout')
  })

  t.test('headers that never end are cut off at the headers timeout', async (t) => {
    const c = await open(port)
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n')
    const trickle = setInterval(() => c.socket.writable && c.socket.write('X-Slow: 1\r\n'), 300)
    const ms = await c.closed
    clearInterval(trickle)
    t.ok(ms < 4_000, `closed after ${ms} ms (bound: 1 s)`)
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
