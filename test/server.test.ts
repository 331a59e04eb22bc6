// The real entry point, as `npm start` runs it: a child process on a free port.
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { freePort } from './helpers/ports.ts'
import { type Child, startChild } from './helpers/process.ts'
import { sleep } from './helpers/wait.ts'

function start(env: Record<string, string>, viaNpm = false): Child {
  const [command, args] = viaNpm
    ? ['npm', ['start', '--silent']]
    : [process.execPath, ['--import', 'tsx', 'src/server.ts']]
  return startChild(command, args, { LOG_LEVEL: 'info', ...env })
}

async function waitHealthy(port: number, proc: Child) {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`)
      if (res.ok) return res
    } catch {}
    if (proc.child.exitCode !== null) break
    await sleep(100)
  }
  throw new Error(`server did not come up:\n${proc.output()}`)
}

t.test('PORT=abc stops start-up with one line naming PORT', async (t) => {
  const proc = start({ PORT: 'abc' })
  t.not(await proc.exited, 0)
  t.match(proc.output(), /PORT/)
  t.equal(proc.output().trim().split('\n').length, 1, proc.output())
})

t.test('scaled mode without JWT_SECRET stops start-up naming JWT_SECRET', async (t) => {
  const proc = start({ REDIS_URL: 'redis://127.0.0.1:1' })
  t.not(await proc.exited, 0)
  t.match(proc.output(), /JWT_SECRET/)
})

t.test('embedded defaults: healthz, a generated secret kept across restarts, graceful SIGTERM', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'roomchat-server-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const port = await freePort()
  const env = {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: 'admin-password-1',
  }

  const first = start(env)
  t.teardown(() => first.child.kill('SIGKILL'))
  const health = await waitHealthy(port, first)
  t.same(await health.json(), { status: 'ok' })
  t.equal(statSync(join(dataDir, 'jwt-secret')).mode & 0o777, 0o600, 'the secret file is private')
  const login = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'admin-password-1' }),
  })
  t.equal(login.status, 200)
  const { token } = (await login.json()) as { token: string }
  first.child.kill('SIGTERM')
  t.equal(await first.exited, 0, 'exits cleanly on SIGTERM')
  t.match(first.output(), /"request id"|reqId/, 'logs carry request ids')

  const second = start(env)
  t.teardown(() => second.child.kill('SIGKILL'))
  await waitHealthy(port, second)
  const me = await fetch(`http://127.0.0.1:${port}/api/me`, { headers: { authorization: `Bearer ${token}` } })
  t.equal(me.status, 200, 'the session survives a restart')
  second.child.kill('SIGTERM')
  t.equal(await second.exited, 0)
})

t.test(
  'npm start stops cleanly on SIGTERM; tickets stay out of the logs; metrics on a port of their own',
  async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'roomchat-server-'))
    t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
    const [port, metricsPort] = [await freePort(), await freePort()]
    const proc = start(
      {
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        METRICS_PORT: String(metricsPort),
        ARGON2_MEMORY_KIB: '1024',
        ARGON2_TIME_COST: '1',
      },
      true,
    )
    t.teardown(() => proc.child.kill('SIGKILL'))
    await waitHealthy(port, proc)
    const code = /invite code \(valid 7 days\): ([A-Z0-9-]+)/.exec(proc.output())?.[1]
    t.ok(code, 'the bootstrap code is printed')
    const reg = await fetch(`http://127.0.0.1:${port}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'boss', password: 'password-123', inviteCode: code }),
    })
    t.equal(reg.status, 201)
    const { token } = (await reg.json()) as { token: string }
    const issued = await fetch(`http://127.0.0.1:${port}/api/auth/ws-ticket`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    })
    const { ticket } = (await issued.json()) as { ticket: string }
    // Any request with the ticket in its URL is logged without it (a plain GET is enough).
    await fetch(`http://127.0.0.1:${port}/ws?ticket=${ticket}`)

    const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`)
    t.equal(metrics.status, 200, 'METRICS_PORT serves /metrics')
    t.match(await metrics.text(), /http_requests_total/)
    t.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 404, 'and the API port does not')

    proc.child.kill('SIGTERM') // npm's own pid
    t.equal(await proc.exited, 0, 'npm start exits 0 on SIGTERM')
    t.match(proc.output(), /"signal":"SIGTERM"/, 'the server drained')
    t.match(proc.output(), /ticket=\[redacted\]/, 'the request is logged')
    t.notOk(proc.output().includes(ticket), 'without the ticket')
    const probe = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null)
    t.equal(probe, null, 'nothing listens any more')
  },
)
