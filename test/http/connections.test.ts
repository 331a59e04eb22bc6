// Bounds on the listener's connections: one client address holds at most
// MAX_CONNECTIONS_PER_ADDRESS (a trusted proxy is not capped), the instance at most
// MAX_CONNECTIONS (below the descriptor limit), and a failed accept is survived. Each refusal is
// counted in /metrics and logged, a line per burst, and other clients keep being served.
import { execFileSync } from 'node:child_process'
import { connect, type Socket } from 'node:net'
import t, { type Test } from 'tap'
import { buildApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { connectionCap, descriptorLimit } from '../../src/http/descriptors.ts'
import { loginAdmin } from '../helpers/api.ts'
import { sharedEnv } from '../helpers/app.ts'
import { captureLogs } from '../helpers/logs.ts'
import { until, within } from '../helpers/wait.ts'

const METRICS = 'connections-metrics-token-0123456789'

interface Conn {
  socket: Socket
  received: () => string
  closed: Promise<void>
}

async function build(t: Test, env: Record<string, string>) {
  const log = captureLogs()
  const shared = sharedEnv(t, { METRICS_TOKEN: METRICS, HTTP_BODY_TIMEOUT_SECONDS: '60', ...env })
  const app = await buildApp(loadConfig(shared.env), { logger: { level: 'warn', stream: log.stream } })
  t.teardown(() => app.close())
  await app.core.accounts.ensureAdmin(shared.env.ADMIN_USERNAME, shared.env.ADMIN_PASSWORD)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const opened: Socket[] = []
  t.teardown(() => {
    for (const s of opened) s.destroy()
  })
  /** A raw connection from `from` (a loopback address of its own), open once it resolves. */
  const open = (from = '127.0.0.1') =>
    new Promise<Conn>((resolve, reject) => {
      let data = ''
      const socket = connect({ port, host: '127.0.0.1', localAddress: from }, () =>
        resolve({ socket, received: () => data, closed }),
      )
      opened.push(socket)
      const closed = new Promise<void>((r) => socket.once('close', () => r()))
      socket.setEncoding('utf8')
      socket.on('data', (d: string) => {
        data += d
      })
      socket.on('error', () => {})
      socket.once('error', reject)
    })
  /** A connection that sends a JSON body's headers and its first byte, then nothing. */
  const slowBody = async (from?: string) => {
    const c = await open(from)
    c.socket.write(
      'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{',
    )
    return c
  }
  /** A request on a fresh connection from `from`; its status line, or the failure. */
  const get = async (path: string, from?: string, token?: string) => {
    const c = await open(from)
    const auth = token ? `Authorization: Bearer ${token}\r\n` : ''
    c.socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`)
    await within(c.closed, `the answer to GET ${path}`)
    return c.received().split('\r\n')[0] ?? ''
  }
  const metric = async (line: RegExp) => {
    const res = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS}` } })
    return Number(line.exec(res.body)?.[1] ?? 0)
  }
  return { app, log, open, slowBody, get, metric }
}

/** Resolves once the server has closed the connection without answering a byte. */
async function refused(t: Test, c: Conn, what: string) {
  await within(c.closed, `${what} to be closed`)
  t.equal(c.received(), '', `${what}: closed unanswered`)
}

t.test('one address holds at most MAX_CONNECTIONS_PER_ADDRESS; the others are served', async (t) => {
  const s = await build(t, { MAX_CONNECTIONS_PER_ADDRESS: '5' })
  const admin = await loginAdmin(s.app)
  const held: Conn[] = []
  for (let i = 0; i < 5; i++) held.push(await s.slowBody())
  // Accepted in the order they connected: the five above first, then these.
  const over: Conn[] = []
  for (let i = 0; i < 5; i++) over.push(await s.slowBody())
  for (const [i, c] of over.entries()) await refused(t, c, `connection ${i + 6}`)

  t.equal(await s.get('/api/me', '127.0.0.2', admin.token), 'HTTP/1.1 200 OK', 'another address is served')
  for (const c of held) t.notOk(c.socket.destroyed, 'the first five are still open')
  t.equal(await s.metric(/^http_connections_refused_total\{reason="per_address"\} (\d+)/m), 5, 'counted')
  t.ok((await s.metric(/^http_connections_open (\d+)/m)) >= 5, 'the open connections are a gauge')

  const lines = s.log.entries().filter((e) => e.msg?.startsWith('connections refused'))
  t.equal(lines.length, 1, 'one log line for the burst (the rest are counted into the next)')
  t.match(lines[0], { level: 40, address: '127.0.0.1', max: 5, count: 1 })

  held[0]!.socket.destroy()
  await until(
    async () => (await s.get('/healthz').catch(() => '')) === 'HTTP/1.1 200 OK',
    'a closed connection to give its place back',
  )
  t.equal(await s.get('/healthz'), 'HTTP/1.1 200 OK', 'a closed connection gives its place back')
})

t.test('a proxy named in TRUST_PROXY is not capped; its clients behind it are its to cap', async (t) => {
  const s = await build(t, { MAX_CONNECTIONS_PER_ADDRESS: '2', TRUST_PROXY: '127.0.0.1' })
  for (let i = 0; i < 6; i++) await s.slowBody('127.0.0.1')
  t.equal(await s.get('/healthz', '127.0.0.1'), 'HTTP/1.1 200 OK', 'the proxy holds 7 connections')
  await s.slowBody('127.0.0.3')
  await s.slowBody('127.0.0.3')
  await refused(t, await s.slowBody('127.0.0.3'), 'a third connection from a client address')
  t.equal(await s.metric(/^http_connections_refused_total\{reason="per_address"\} (\d+)/m), 1)
})

t.test('MAX_CONNECTIONS: past it connections are closed at once, counted and logged', async (t) => {
  const s = await build(t, { MAX_CONNECTIONS: '3', MAX_CONNECTIONS_PER_ADDRESS: '0' })
  const held = [await s.slowBody(), await s.slowBody(), await s.slowBody('127.0.0.2')]
  await refused(t, await s.open('127.0.0.4'), 'a fourth connection')
  t.equal(await s.metric(/^http_connections_refused_total\{reason="max_connections"\} (\d+)/m), 1)
  t.match(
    s.log.entries().find((e) => e.msg?.startsWith('connections refused: the instance')),
    { level: 50, maxConnections: 3, count: 1 },
  )
  held[0]!.socket.destroy()
  await until(
    async () => (await s.get('/healthz').catch(() => '')) === 'HTTP/1.1 200 OK',
    'a place to free up',
  )
  t.equal(await s.get('/healthz'), 'HTTP/1.1 200 OK', 'served again once a connection closed')
})

t.test('a failed accept (EMFILE) is counted and logged, and the server goes on', async (t) => {
  // The kernel refuses accept() at the descriptor limit; Node reports it as the server's
  // 'error', which without a listener would end the process. It is raised here as Node raises it.
  const s = await build(t, {})
  const err = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', errno: -24, syscall: 'accept' })
  s.app.server.emit('error', err)
  s.app.server.emit('error', err)
  t.equal(await s.metric(/^http_accept_errors_total\{code="EMFILE"\} (\d+)/m), 2, 'counted')
  t.match(
    s.log.entries().filter((e) => e.msg === 'connections could not be accepted'),
    [{ level: 50, code: 'EMFILE', count: 1 }],
    'logged once for the burst',
  )
  t.equal(await s.get('/healthz'), 'HTTP/1.1 200 OK', 'still serving')
})

t.test('the connection cap keeps descriptors free under the process limit', async (t) => {
  const soft = Number(execFileSync('sh', ['-c', 'ulimit -Sn']).toString().trim())
  if (Number.isSafeInteger(soft)) t.equal(descriptorLimit(), soft, 'the soft limit is read')
  t.equal(descriptorLimit('/nonexistent/limits'), undefined, 'unknown where the platform does not say')
  t.equal(connectionCap(undefined, 20_000), 18_000, 'a 10% reserve')
  t.equal(connectionCap(undefined, 1024), 896, 'at least 128 kept')
  t.equal(connectionCap(undefined, 200), 100, 'never below half the limit')
  t.equal(connectionCap(undefined, undefined), 0, 'no cap when the limit is unknown')
  t.equal(connectionCap(50, 20_000), 50, 'MAX_CONNECTIONS when set')
  t.equal(connectionCap(0, 20_000), 0, '0: none')
})
