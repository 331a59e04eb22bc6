// What notifications cost the chat path, and how late pushes are. Two deployments in the same
// run, one with NOTIFICATIONS=false and one with them on, each of the same users away (no
// socket, one push subscription each, on a push service on loopback that decrypts every
// payload), sent the same mentions at the same rate over HTTP. The chat path's CPU per message
// is read from the instances' /proc during the sending window only: NOTIFY_DELAY_SECONDS is
// longer than the window, so the pushes (the worker's part) come after it. Then every push is
// awaited and its delay after its due time (message time + delay) reported.
//
//   node --import tsx bench/notify.ts --users 200 --rate 50 --seconds 6
//   MONGODB_URL=… REDIS_URL=… node --import tsx bench/notify.ts --instances 2
import webpush from 'web-push'
import { ChatHttp } from '../packages/client/src/index.ts'
import { PushService } from '../test/helpers/push-service.ts'
import {
  checkFlags,
  cpuSeconds,
  flagNumber,
  int,
  ms,
  parseFlags,
  quantile,
  registerUsers,
  sleep,
  startInstances,
} from './lib.ts'

const USAGE = `node --import tsx bench/notify.ts [flags]
  --users N      users away, each with one subscription (default 200)
  --rate R       mentions per second, over every instance (default 50)
  --seconds S    the sending window (default 6)
  --instances I  instances per deployment (default 1; 2+ needs MONGODB_URL and REDIS_URL)
  --verbose      show the instances' output`

const flags = parseFlags()
checkFlags(flags, ['users', 'rate', 'seconds', 'instances', 'verbose', 'help'], USAGE)
const USERS = flagNumber(flags, 'users', 200)
const RATE = flagNumber(flags, 'rate', 50)
const SECONDS = flagNumber(flags, 'seconds', 6)
const INSTANCES = flagNumber(flags, 'instances', 1)
const DELAY = SECONDS + 4
const ROOM_SIZE = 10

interface Run {
  label: string
  sent: number
  cpuPerMessageMs: number
  sendP50: number
  lateness: number[]
  pushes: number
}

async function run(label: string, notifications: boolean, service: PushService): Promise<Run> {
  const vapid = webpush.generateVAPIDKeys()
  service.setVapidKey(vapid.publicKey)
  const deployment = await startInstances({
    instances: INSTANCES,
    quiet: !flags.has('verbose'),
    env: {
      NOTIFICATIONS: String(notifications),
      NOTIFY_DELAY_SECONDS: String(DELAY),
      PUSH_ALLOW_HTTP: 'true',
      PUSH_PER_MINUTE: '1000',
      VAPID_PUBLIC_KEY: vapid.publicKey,
      VAPID_PRIVATE_KEY: vapid.privateKey,
      RATE_MESSAGE_USER: '100000000',
      RATE_REGISTER_IP: '1000000',
      ARGON2_MEMORY_KIB: '1024',
      ARGON2_TIME_COST: '1',
    },
  })
  try {
    const { urls } = deployment
    const admin = new ChatHttp({ baseUrl: urls[0]! })
    await admin.login(deployment.admin)
    const users = await registerUsers(admin, urls, USERS)
    const subs = new Map<string, string>()
    for (const u of users) {
      const browser = service.subscription()
      subs.set(browser.id, u.id)
      await new ChatHttp({ baseUrl: u.http.baseUrl, token: u.token }).subscribePush(browser)
    }
    // Rooms of ROOM_SIZE; each mention is from one member to another of the same room.
    const rooms: { id: string; members: typeof users }[] = []
    for (let i = 0; i < users.length; i += ROOM_SIZE) {
      const members = users.slice(i, i + ROOM_SIZE)
      if (members.length < 2) break
      const room = await admin.createRoom({ name: `bench ${i}` })
      for (const m of members)
        await new ChatHttp({ baseUrl: m.http.baseUrl, token: m.token }).joinRoom(room.id)
      rooms.push({ id: room.id, members })
    }
    const before = service.received.length
    const cpu0 = deployment.pids.map((p) => cpuSeconds(p) ?? 0)
    const total = RATE * SECONDS
    const due: number[] = []
    const latencies: number[] = []
    const started = performance.now()
    const inFlight: Promise<void>[] = []
    for (let i = 0; i < total; i++) {
      const wait = started + (i * 1000) / RATE - performance.now()
      if (wait > 0) await sleep(wait)
      const room = rooms[i % rooms.length]!
      const from = room.members[i % room.members.length]!
      const to = room.members[(i + 1) % room.members.length]!
      const client = new ChatHttp({ baseUrl: urls[i % urls.length]!, token: from.token })
      const t0 = performance.now()
      inFlight.push(
        client.sendMessage(room.id, `@${to.username} ping ${i}`, `b${i}`).then((m) => {
          latencies.push(performance.now() - t0)
          due.push(Date.parse(m.createdAt) + DELAY * 1000)
        }),
      )
    }
    await Promise.all(inFlight)
    const cpu1 = deployment.pids.map((p) => cpuSeconds(p) ?? 0)
    const cpuMs = cpu1.reduce((a, c, i) => a + (c - cpu0[i]!), 0) * 1000
    let lateness: number[] = []
    if (notifications) {
      const deadline = Date.now() + (DELAY + 60) * 1000
      while (service.received.length - before < total && Date.now() < deadline) await sleep(200)
      // Lateness per push against the due time of its message (matched by room and seq order).
      const dueSorted = [...due].sort((a, b) => a - b)
      const arrived = service.received
        .slice(before)
        .map((r) => r.at)
        .sort((a, b) => a - b)
      lateness = arrived.map((at, i) => at - dueSorted[i]!).sort((a, b) => a - b)
    }
    latencies.sort((a, b) => a - b)
    return {
      label,
      sent: total,
      cpuPerMessageMs: cpuMs / total,
      sendP50: quantile(latencies, 0.5),
      lateness,
      pushes: service.received.length - before,
    }
  } finally {
    await deployment.stop()
  }
}

async function main(): Promise<void> {
  const service = new PushService()
  await service.start()
  try {
    const backend = process.env.MONGODB_URL ? `MongoDB-wire + Redis, ${INSTANCES} instance(s)` : 'embedded'
    console.log(`notify bench: ${int(USERS)} users away, ${RATE} mentions/s for ${SECONDS} s, ${backend}`)
    const off = await run('notifications off', false, service)
    const on = await run('notifications on', true, service)
    for (const r of [off, on])
      console.log(
        `${r.label.padEnd(18)} ${int(r.sent)} messages, chat CPU ${r.cpuPerMessageMs.toFixed(3)} ms/message, send p50 ${ms(r.sendP50)}`,
      )
    console.log(`CPU per message, on / off: ${(on.cpuPerMessageMs / off.cpuPerMessageMs).toFixed(2)}×`)
    const l = on.lateness
    console.log(
      `pushes: ${int(on.pushes)} of ${int(on.sent)}; after their due time p50 ${ms(quantile(l, 0.5))}, p99 ${ms(quantile(l, 0.99))}, max ${ms(l[l.length - 1] ?? Number.NaN)}; refused ${service.refused.length}`,
    )
  } finally {
    await service.stop()
  }
}

await main()
