// The load balancer as deployed: nginx (Debian's package) with the project's own deploy/nginx.conf
// (a copy listening on a loopback port, the upstream list pointed at three local instances) in
// front of three server processes over one MongoDB-wire server and one Redis. Everything the
// clients do goes through nginx only: HTTP and the WebSocket upgrade. It proves that
//   (a) nginx spreads the sockets over the instances and every client gets every message once,
//       in seq order;
//   (b) when an instance dies behind nginx, its clients reconnect through nginx to the live ones
//       and resume with `since`: no acked message lost, none twice;
//   (c) an upload over nginx's client_max_body_size is refused by nginx with 413;
//   (d) the client address is the one nginx saw (TRUST_PROXY believes nginx only): a forged
//       X-Forwarded-For does not dodge the per-address login limit.
import { request } from 'node:http'
import t, { type Test } from 'tap'
import { ADMIN } from '../helpers/app.ts'
import { ChatRecorder } from '../helpers/chat-recorder.ts'
import { METRICS_TOKEN, startCluster } from '../helpers/cluster.ts'
import { retriesOf, settledDelivery, wrongAcks } from '../helpers/delivery.ts'
import { expectHttp, http } from '../helpers/http-caller.ts'
import type { ServerProcess } from '../helpers/instance.ts'
import { findNginx, NginxProcess } from '../helpers/nginx.ts'
import { freePort } from '../helpers/ports.ts'
import { removeDir, tempDir } from '../helpers/process.ts'
import { seedRoom } from '../helpers/seed.ts'
import { mongoUrl, needProgram, needServer, redisUrl } from '../helpers/servers.ts'
import { sleep, until, within } from '../helpers/wait.ts'

// Above the logins the seeding does from 127.0.0.1 (every test client's address but (d)'s).
const LOGIN_PER_IP = 12

/** ws_sockets_open of one instance, read from its /metrics directly (not through nginx). */
async function socketsOn(s: ServerProcess): Promise<number> {
  const text = await (
    await fetch(`${s.base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  ).text()
  const m = /^ws_sockets_open (\d+)/m.exec(text)
  if (!m) throw new Error(`no ws_sockets_open in ${s.name}'s metrics`)
  return Number(m[1])
}

/** A request with headers only: the body it announces is never sent. */
function announce(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers })
    req.on('response', (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => {
        body += d
      })
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body })
        req.destroy()
      })
    })
    req.on('error', reject)
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')))
    req.flushHeaders()
  })
}

t.test('chat through nginx in front of three instances', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl) || !needServer(t, 'Redis', redisUrl)) return
  const nginxBinary = findNginx()
  if (!needProgram(t, 'nginx', nginxBinary, '/usr/sbin/nginx or on PATH; Debian package nginx')) return

  // ------------------------------------------------------------------ the deployment
  const { servers, outputs: appOutputs } = await startCluster(t, 'nginx', redisUrl!, {
    // Behind nginx: the instances believe X-Forwarded-For from nginx (loopback here) only.
    TRUST_PROXY: 'loopback',
    RATE_LOGIN_IP: String(LOGIN_PER_IP),
  })

  const nginxDir = tempDir('nginx')
  t.teardown(() => removeDir(nginxDir))
  const lb = new NginxProcess(
    nginxBinary,
    nginxDir,
    await freePort(),
    servers.map((s) => s.port),
  )
  t.teardown(() => lb.stop())
  lb.test()
  await lb.start()
  const outputs = () => `${appOutputs()}\n--- nginx (${lb.alive ? 'alive' : 'dead'}):\n${lb.output()}`
  const [i0, i1, i2] = servers as [ServerProcess, ServerProcess, ServerProcess]
  const via = lb.base
  await until(async () => (await http(via, 'GET', '/readyz')).status === 200, '/readyz through nginx', 10_000)

  // ------------------------------------------------------------------ users and a room, through nginx
  const { admin, users, room } = await seedRoom([via], ['ann', 'ben', 'cat', 'dan', 'eve', 'fay'], 'LB')

  // Every client knows one address only: nginx's.
  const clients = users.map(
    (u) => new ChatRecorder({ name: u.name, userId: u.id, token: u.token, urls: [lb.wsUrl] }),
  )
  t.teardown(() => {
    for (const c of clients) c.stop()
  })
  // One after the other, so that least_conn sees each socket before the next.
  for (const c of clients) await c.start([room.id])

  let totalAcked = 0
  /** Every client sends `count` messages, each after the previous one's ack. */
  async function stream(phase: string, count: number, pauseMs: number, onAck: (n: number) => void) {
    let acked = 0
    const run = Promise.all(
      clients.map(async (c) => {
        for (let k = 0; k < count; k++) {
          await c.send(room.id, `${phase}-${c.name}-${k}`, `${phase} ${c.name} #${k} über nginx ✓`)
          acked++
          totalAcked++
          onAck(acked)
          await sleep(Math.floor(Math.random() * pauseMs))
        }
      }),
    )
    await within(run, () => `phase ${phase}: ${acked}/${count * clients.length} acked\n${outputs()}`, 60_000)
  }

  /** Waits until every client has every stored message, then checks what each one saw. */
  async function checkDelivery(t: Test, label: string) {
    const n = (await expectHttp(200, via, 'GET', `/api/rooms/${room.id}`, { token: admin.token })).room
      .lastSeq as number
    t.equal(n, totalAcked, `${label}: the room holds exactly the ${totalAcked} acked messages`)
    t.same(
      await settledDelivery(t, clients, room.id, n, label),
      [],
      `${label}: every client saw seqs 1..${n} once each, in order`,
    )
    t.same(
      wrongAcks(clients, clients[0]!.messages(room.id)),
      [],
      `${label}: each ack names the message stored at its seq`,
    )
    t.same(
      clients.flatMap((c) => c.problems),
      [],
      `${label}: no unexpected frames`,
    )
  }

  // ------------------------------------------------------------------ (a)
  await t.test(
    '(a) sockets spread over the instances; every message reaches everyone in order',
    async (t) => {
      const spread = await Promise.all(servers.map(socketsOn))
      t.comment(`sockets per instance behind nginx: ${spread.join(', ')}`)
      t.equal(
        spread.reduce((a, b) => a + b, 0),
        clients.length,
        'every socket reached an instance',
      )
      t.ok(
        spread.every((n) => n > 0),
        'nginx put sockets on every instance',
      )
      await stream('a', 6, 30, () => {})
      await checkDelivery(t, '(a)')
      t.same(retriesOf(clients), {}, '(a) no fault, so no send or join was refused or timed out')
    },
  )

  // ------------------------------------------------------------------ (b)
  await t.test(
    '(b) an instance killed behind nginx: clients resume through nginx, nothing lost',
    async (t) => {
      const onDoomed = await socketsOn(i2)
      t.ok(onDoomed > 0, `${onDoomed} sockets run through nginx to instance 2`)
      const closedBefore = clients.map((c) => c.closes.length)
      let killing: Promise<void> | null = null
      await stream('b', 10, 60, (n) => {
        if (n === 12 && !killing) killing = i2.kill('SIGKILL')
      })
      await killing
      t.notOk(i2.alive, 'instance 2 was killed while messages flowed')
      const moved = clients.filter((c, i) => c.closes.length > closedBefore[i]!)
      t.equal(moved.length, onDoomed, 'the clients whose sockets ran to instance 2 lost them (and only they)')
      await until(() => clients.every((c) => c.isLive(room.id)), 'every client is joined again', 20_000)
      for (const c of moved)
        t.ok(c.reconnects > 0 && c.isLive(room.id), `${c.name} reconnected through nginx`)
      await checkDelivery(t, '(b)')
      const survivors = await Promise.all([i0, i1].map(socketsOn))
      t.equal(
        survivors[0]! + survivors[1]!,
        clients.length,
        `all sockets now run to the live instances (${survivors.join(' + ')})`,
      )
    },
  )

  // ------------------------------------------------------------------ (c)
  await t.test("(c) a body over nginx's client_max_body_size gets 413 from nginx", async (t) => {
    const url = `${via}/api/rooms/${room.id}/files`
    const headers = {
      authorization: `Bearer ${users[0]!.token}`,
      'content-type': 'multipart/form-data; boundary=x',
    }
    const over = await announce(url, { ...headers, 'content-length': String(30 * 1024 * 1024 + 1) })
    t.equal(over.status, 413, '30 MiB + 1 byte announced: 413')
    t.match(over.body, /413 Request Entity Too Large/, 'answered by nginx (its own page), not by the app')
    t.match(over.type, /text\/html/, "nginx's HTML error page")
    // The same request under the limit passes nginx and is answered by the app (JSON).
    const under = await http(via, 'POST', `/api/rooms/${room.id}/messages`, {
      token: users[0]!.token,
      body: { text: '', clientMsgId: 'empty' },
    })
    t.equal(under.status, 400, 'a small body reaches the app, which answers for itself')
    t.equal(under.body?.code, 'VALIDATION', "the JSON error is the app's")
  })

  // ------------------------------------------------------------------ (d)
  await t.test(
    '(d) the client address is the one nginx saw: a forged X-Forwarded-For does not dodge the login limit',
    async (t) => {
      // Two clients on addresses of their own (Linux routes all of 127/8 to loopback).
      const login = (from: string, forged: string, username: string, password: string) =>
        postJson(`${via}/api/auth/login`, from, { 'x-forwarded-for': forged }, { username, password })
      const statuses: number[] = []
      for (let k = 0; k <= LOGIN_PER_IP; k++)
        statuses.push(
          await login('127.0.0.2', `198.51.100.${k + 1}`, `nobody${k}x${process.pid}`, 'wrong-password'),
        )
      t.same(
        statuses,
        [...Array(LOGIN_PER_IP).fill(401), 429],
        `${LOGIN_PER_IP} failed logins from 127.0.0.2, each claiming another X-Forwarded-For, then 429 (the instances share the count)`,
      )
      t.equal(
        await login('127.0.0.3', '127.0.0.2', ADMIN.username, ADMIN.password),
        200,
        'another client address logs in, even claiming to be the limited one',
      )
      t.equal(
        await login('127.0.0.2', '203.0.113.50', ADMIN.username, ADMIN.password),
        429,
        'the limited address stays limited whatever it claims',
      )
    },
  )
})

/** POST of a JSON body from a chosen local address; resolves to the status. */
function postJson(url: string, localAddress: string, headers: Record<string, string>, body: unknown) {
  return new Promise<number>((resolve, reject) => {
    const payload = JSON.stringify(body)
    const req = request(url, {
      method: 'POST',
      localAddress,
      headers: {
        ...headers,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(payload)),
      },
    })
    req.on('response', (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.setTimeout(20_000, () => req.destroy(new Error('no answer within 20 s')))
    req.end(payload)
  })
}
