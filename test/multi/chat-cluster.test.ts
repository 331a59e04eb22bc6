import t, { type Test } from 'tap'
import { ChatRecorder } from '../helpers/chat-recorder.ts'
import { METRICS_TOKEN, startCluster } from '../helpers/cluster.ts'
import { retriesOf, settledDelivery, wrongAcks } from '../helpers/delivery.ts'
import { expectHttp, http } from '../helpers/http-caller.ts'
import type { ServerProcess } from '../helpers/instance.ts'
import { freePort } from '../helpers/ports.ts'
import { haveRedisServer, RedisProcess } from '../helpers/redis.ts'
import { seedRoom } from '../helpers/seed.ts'
import { mongoUrl, needProgram, needServer } from '../helpers/servers.ts'
import { sleep, until, within } from '../helpers/wait.ts'

t.test('chat across three server processes', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl)) return
  if (!needProgram(t, 'redis-server', haveRedisServer(), 'on PATH; Debian package redis-server')) return

  // ------------------------------------------------------------------ the deployment
  const redis = new RedisProcess(await freePort())
  await redis.start()
  t.teardown(() => redis.stop())
  const { servers, outputs } = await startCluster(t, 'cluster', redis.url)
  const [i0, i1, i2] = servers as [ServerProcess, ServerProcess, ServerProcess]
  const urls = servers.map((s) => s.wsUrl)

  // ------------------------------------------------------------------ users and a room, over HTTP
  // Registered, the room created and joined on different instances: one store behind them all.
  const { admin, users, room } = await seedRoom(
    servers.map((s) => s.base),
    ['ann', 'ben', 'cat', 'dan', 'eve', 'fay', 'ghost'],
    'Cluster',
    2,
  )

  // Six senders spread over the instances, a second socket of ann's on instance 1, and a
  // ghost on instance 2 that never reconnects (for presence).
  const senders = users
    .slice(0, 6)
    .map((u) => new ChatRecorder({ name: u.name, userId: u.id, token: u.token, urls, first: u.home }))
  const ann = users[0]!
  const annToo = new ChatRecorder({ name: 'ann-2', userId: ann.id, token: ann.token, urls, first: 1 })
  const ghostUser = users[6]!
  const ghost = new ChatRecorder({
    name: 'ghost',
    userId: ghostUser.id,
    token: ghostUser.token,
    urls,
    first: 2,
    reconnect: false,
  })
  const everyone = [...senders, annToo, ghost]
  t.teardown(() => {
    for (const c of everyone) c.stop()
  })
  await Promise.all(everyone.map((c) => c.start([room.id])))
  const userIds = users.map((u) => u.id)
  await until(
    () => userIds.every((id) => senders[0]!.online(room.id).includes(id)),
    'ann sees all seven users online',
    20_000,
  )

  // ------------------------------------------------------------------ what the phases share
  let totalAcked = 0
  /** Every sender sends `count` messages concurrently, one after the other's ack. */
  async function stream(phase: string, count: number, pauseMs: number, onAck: (n: number) => void) {
    let acked = 0
    const run = Promise.all(
      senders.map(async (c) => {
        for (let k = 0; k < count; k++) {
          await c.send(room.id, `${phase}-${c.name}-${k}`, `${phase} ${c.name} #${k}: héllo 👋 ✓`)
          acked++
          totalAcked++
          onAck(acked)
          await sleep(Math.floor(Math.random() * pauseMs))
        }
      }),
    )
    await within(
      run,
      () => {
        const stuck = senders.map((c) => `${c.name}: ${c.unacked} unacked, on ${c.current}`).join('; ')
        return `phase ${phase}: ${acked}/${count * senders.length} acked (${stuck})\n${outputs()}`
      },
      60_000,
    )
  }

  /** Gap fills (messages an instance had to read from the store) of the live instances so far. */
  async function gapFills(): Promise<number> {
    let total = 0
    for (const s of servers.filter((s) => s.alive)) {
      const text = String((await http(s.base, 'GET', '/metrics', { token: METRICS_TOKEN })).body)
      total += Number(/^chat_gap_fills_total (\d+)/m.exec(text)?.[1] ?? 0)
    }
    return total
  }

  /** Waits until every client has seen all n messages, then checks what each one saw. */
  async function checkDelivery(t: Test, clients: ChatRecorder[], label: string) {
    const live = servers.find((s) => s.alive)!
    const n = (await expectHttp(200, live.base, 'GET', `/api/rooms/${room.id}`, { token: admin.token })).room
      .lastSeq as number
    t.equal(n, totalAcked, `${label}: the room holds exactly the ${totalAcked} acked messages`)
    t.same(
      await settledDelivery(t, clients, room.id, n, label),
      [],
      `${label}: every client saw seqs 1..${n} once each, in order`,
    )

    // Every acked send is the stored message at its seq, and every stored seq was acked once.
    const ackedSeqs = senders.flatMap((c) => [...c.acks.values()])
    const wrong = wrongAcks(senders, clients[0]!.messages(room.id))
    t.same(wrong, [], `${label}: each ack names the message stored at its seq`)
    t.same(
      ackedSeqs.sort((a, b) => a - b),
      Array.from({ length: n }, (_, i) => i + 1),
      `${label}: the acked seqs are exactly 1..${n} (no send stored twice)`,
    )
    t.same(
      clients.flatMap((c) => c.problems),
      [],
      `${label}: no unexpected frames`,
    )
  }

  // ------------------------------------------------------------------ (a) fan-out and order
  await t.test('(a) clients on three instances see every message in the same seq order', async (t) => {
    const started = Date.now()
    await stream('a', 8, 30, () => {})
    t.comment(`${totalAcked} messages acked in ${Date.now() - started} ms`)
    await checkDelivery(t, everyone, '(a)')
    t.same(retriesOf(everyone), {}, '(a) no fault, so no send or join was refused or timed out')
  })

  // ------------------------------------------------------------------ (b) an instance dies
  await t.test(
    '(b) an instance killed mid-stream: acked messages reach everyone once, in order',
    async (t) => {
      const doomed = senders.filter((c) => c.current === i2.wsUrl)
      t.equal(doomed.length, 2, 'two senders are on instance 2')
      let killAt = 0
      let killing: Promise<void> | null = null
      await stream('b', 12, 60, (n) => {
        if (n === 15 && !killing) {
          killAt = Date.now()
          killing = i2.kill('SIGKILL')
        }
      })
      await killing
      t.ok(killAt > 0, 'instance 2 was killed while messages flowed')
      t.notOk(i2.alive, 'instance 2 is dead')
      for (const c of [...doomed, ghost]) t.ok(c.closes.length > 0, `${c.name} noticed its socket closing`)
      for (const c of doomed) {
        t.ok(c.reconnects > 0 && c.current !== null && c.current !== i2.wsUrl, `${c.name} moved on`)
      }
      const survivors = everyone.filter((c) => c !== ghost)
      await checkDelivery(t, survivors, '(b)')
      t.comment(`gap fills on the live instances so far: ${await gapFills()}`)

      // Presence: the ghost's hold on the dead instance expires (TTL 15 s, swept every 2 s) while the
      // users who reconnected elsewhere stay online.
      const watcher = senders[0]!
      const living = userIds.filter((id) => id !== ghostUser.id)
      await until(
        () =>
          watcher
            .presence(room.id)
            .some(
              (p) =>
                p.at > killAt &&
                !p.online.includes(ghostUser.id) &&
                living.every((id) => p.online.includes(id)),
            ),
        () => `a presence frame without the ghost (last: ${JSON.stringify(watcher.online(room.id))})`,
        30_000,
      )
      const faded = watcher.presence(room.id).find((p) => p.at > killAt && !p.online.includes(ghostUser.id))!
      t.ok(
        faded.at - killAt < 25_000,
        `the dead instance's user faded from presence after ${faded.at - killAt} ms`,
      )
    },
  )

  // ------------------------------------------------------------------ (c) Redis restarts
  await t.test('(c) Redis restarted mid-stream: no acked message is lost', async (t) => {
    const survivors = everyone.filter((c) => c !== ghost)
    let restart: Promise<void> | null = null
    let downMs = 0
    await stream('c', 12, 60, (n) => {
      if (n === 12 && !restart) {
        restart = (async () => {
          const down = Date.now()
          await redis.stop('SIGKILL')
          await sleep(1500)
          await redis.start()
          downMs = Date.now() - down
        })()
      }
    })
    await restart
    t.ok(downMs > 0, `Redis was down for ${downMs} ms while messages flowed`)
    t.comment(`retries so far, the outages included: ${JSON.stringify(retriesOf(senders))}`)
    await checkDelivery(t, survivors, '(c)')
    t.comment(`gap fills on the live instances so far: ${await gapFills()}`)

    for (const s of [i0, i1]) {
      await until(
        async () => (await http(s.base, 'GET', '/readyz')).status === 200,
        `${s.name} ready`,
        30_000,
      )
      t.ok(s.alive, `${s.name} is still up`)
    }
    // Presence holds come back by themselves once Redis is back.
    const living = userIds.filter((id) => id !== ghostUser.id)
    let online = new Set<string>()
    const whole = () => living.every((id) => online.has(id)) && !online.has(ghostUser.id)
    await until(
      async () => {
        const members = await http(i0.base, 'GET', `/api/rooms/${room.id}/members?limit=50`, {
          token: ann.token,
        })
        online = new Set(
          (members.body.items as { user: { id: string }; online: boolean }[])
            .filter((m) => m.online)
            .map((m) => m.user.id),
        )
        return whole()
      },
      'presence is whole again after the restart',
      20_000,
    )
    t.ok(whole(), 'presence is whole again after the restart')
  })
})
