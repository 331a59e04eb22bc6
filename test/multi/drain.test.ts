import t from 'tap'
import WebSocket from 'ws'
import { ChatRecorder } from '../helpers/chat-recorder.ts'
import { startCluster } from '../helpers/cluster.ts'
import { deliveryProblems, retriesOf, wrongAcks } from '../helpers/delivery.ts'
import { expectHttp } from '../helpers/http-caller.ts'
import type { ServerProcess } from '../helpers/instance.ts'
import { seedRoom } from '../helpers/seed.ts'
import { mongoUrl, needServer, redisUrl } from '../helpers/servers.ts'
import { sleep, until } from '../helpers/wait.ts'

/** close-with-grace's delay in src/server.ts: past it the process is killed with exit code 1. */
const GRACE_MS = 25_000

/** What a WebSocket upgrade gets: 'open', or the HTTP status it was refused with, or the error. */
function tryUpgrade(url: string, token: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, handshakeTimeout: 5_000 })
    ws.on('open', () => {
      ws.terminate()
      resolve('open')
    })
    ws.on('unexpected-response', (_req, res) => {
      resolve(String(res.statusCode))
      ws.terminate()
    })
    ws.on('error', (err) => resolve(`error ${err.message}`))
  })
}

t.test('an instance drains on SIGTERM under load: no acked message lost', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl) || !needServer(t, 'Redis', redisUrl)) return

  // ------------------------------------------------------------------ the deployment
  const { servers, outputs } = await startCluster(t, 'drain', redisUrl!)
  const [i0, , i2] = servers as [ServerProcess, ServerProcess, ServerProcess]
  const urls = servers.map((s) => s.wsUrl)

  const { admin, users, room } = await seedRoom(
    servers.map((s) => s.base),
    ['ann', 'ben', 'cat', 'dan', 'eve', 'fay', 'gus'],
    'Drain',
  )

  // Six senders, two on each instance.
  const senders = users
    .slice(0, 6)
    .map((u) => new ChatRecorder({ name: u.name, userId: u.id, token: u.token, urls, first: u.home }))
  t.teardown(() => {
    for (const c of senders) c.stop()
  })
  await Promise.all(senders.map((c) => c.start([room.id])))
  const doomed = senders.filter((c) => c.current === i2.wsUrl)
  t.equal(doomed.length, 2, 'two senders are on instance 2')

  // A socket on instance 2 whose peer has stopped reading: it will never answer the close.
  const gus = users[6]!
  const dark = new WebSocket(i2.wsUrl, { headers: { authorization: `Bearer ${gus.token}` } })
  t.teardown(() => dark.terminate())
  await new Promise<void>((resolve, reject) => {
    dark.once('open', () => resolve())
    dark.once('error', reject)
  })
  dark.on('error', () => {})
  dark.pause()

  // ------------------------------------------------------------------ continuous load
  let stop = false
  let totalAcked = 0
  const load = Promise.all(
    senders.map(async (c) => {
      for (let k = 0; !stop; k++) {
        await c.send(room.id, `${c.name}-${k}`, `${c.name} #${k}: still here? ✓`)
        totalAcked++
        await sleep(100 + Math.floor(Math.random() * 100))
      }
    }),
  )
  await until(
    () => totalAcked >= 30,
    () => `30 messages acked (${totalAcked})`,
    30_000,
  )

  // ------------------------------------------------------------------ SIGTERM
  const readyz: string[] = []
  let polling = true
  const poller = (async () => {
    while (polling) {
      try {
        const res = await fetch(`${i2.base}/readyz`, { signal: AbortSignal.timeout(2_000) })
        readyz.push(String(res.status))
      } catch {
        readyz.push('refused')
        if (!i2.alive) return
      }
      await sleep(5)
    }
  })()
  await until(() => readyz.length > 0, 'a first /readyz answer', 5_000)
  const acksAtTerm = totalAcked
  t.same(retriesOf(senders), {}, 'before the SIGTERM no send or join was refused or timed out')
  const termAt = Date.now()
  const exited = i2.exited()
  void i2.kill('SIGTERM')

  let upgrade = 'not tried'
  await until(
    () => readyz.includes('503') || !i2.alive,
    '/readyz answers 503 or the instance exits',
    GRACE_MS,
  )
  if (i2.alive) upgrade = await tryUpgrade(i2.wsUrl, users[0]!.token)
  let timer: NodeJS.Timeout | undefined
  const code = await Promise.race([
    exited,
    new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve('still running'), GRACE_MS + 5_000)
    }),
  ])
  clearTimeout(timer)
  const drainMs = Date.now() - termAt
  polling = false
  await poller
  t.comment(`instance 2 exited ${drainMs} ms after SIGTERM; /readyz saw ${[...new Set(readyz)].join(', ')}`)

  t.equal(code, 0, 'the drained instance exits with code 0')
  t.ok(drainMs < GRACE_MS, `it exits within the grace period (${drainMs} ms < ${GRACE_MS} ms)`)
  t.ok(readyz.includes('503'), '/readyz answers 503 while it drains')
  t.equal(readyz[0], '200', '/readyz answered 200 before the SIGTERM')
  t.equal(upgrade, '503', 'a new upgrade is refused with 503 while it drains')
  for (const c of doomed)
    t.ok(c.closes.includes(1012), `${c.name}'s socket was closed with 1012 (${c.closes})`)

  // The load goes on a little while on the other two instances, then stops.
  const afterExit = totalAcked
  await until(
    () => totalAcked >= afterExit + 20,
    () => `20 more messages acked (${totalAcked})`,
    20_000,
  ).catch((err) => t.fail(`${err}\n${outputs()}`))
  stop = true
  await until(
    async () => {
      await Promise.race([load, sleep(100)])
      return senders.every((c) => c.unacked === 0)
    },
    () => `every send acked (${senders.map((c) => `${c.name} ${c.unacked}`).join(', ')})`,
    30_000,
  ).catch((err) => t.fail(`${err}\n${outputs()}`))
  await load
  t.ok(
    acksAtTerm < totalAcked,
    `messages were acked before (${acksAtTerm}) and after the SIGTERM (${totalAcked})`,
  )
  for (const c of doomed)
    t.ok(
      c.isLive(room.id) && c.current !== i2.wsUrl,
      `${c.name} reconnected to ${c.current} and joined again`,
    )

  // ------------------------------------------------------------------ delivery
  const n = (await expectHttp(200, i0.base, 'GET', `/api/rooms/${room.id}`, { token: admin.token })).room
    .lastSeq as number
  t.equal(n, totalAcked, `the room holds exactly the ${totalAcked} acked messages`)
  await until(
    () => senders.every((c) => c.messages(room.id).length >= n),
    () =>
      `every client has ${n} messages (${senders.map((c) => `${c.name} ${c.messages(room.id).length}`).join(', ')})`,
    30_000,
  ).catch((err) => t.fail(String(err)))
  await sleep(300) // time for a duplicate, if any, to show
  t.same(deliveryProblems(senders, room.id, n), [], `every member saw seqs 1..${n} once each, in order`)
  t.same(
    wrongAcks(senders, senders[0]!.messages(room.id)),
    [],
    'each ack names the message stored at its seq',
  )
  t.same(
    senders.flatMap((c) => c.problems),
    [],
    'no unexpected frames',
  )
})
