// What an outgoing integration costs the server, and how late its deliveries are. Two
// deployments in the same run, one without an integration and one with one integration on every
// room, sent the same messages at the same rate over HTTP; the receiver (in this process, on
// loopback, checking each signature) answers at once. Prints the delivery lag (from the
// message's createdAt to its arrival at the receiver: one clock) p50/p99, and the server's CPU
// per message, read from the instances' /proc from the first send until every message is
// acknowledged (and, with the integration, delivered), on vs off.
//
//   node --import tsx bench/integrations.ts --rooms 100 --rate 200 --seconds 10
//   MONGODB_URL=… REDIS_URL=… node --import tsx bench/integrations.ts --instances 2
import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ChatHttp } from '../packages/client/src/index.ts'
import {
  checkFlags,
  cpuSeconds,
  flagNumber,
  int,
  ms,
  parseFlags,
  quantile,
  sleep,
  startInstances,
} from './lib.ts'

const USAGE = `node --import tsx bench/integrations.ts [flags]
  --rooms N      rooms, all of them in the integration (default 100)
  --rate R       messages per second, spread over the rooms (default 200)
  --seconds S    the sending window (default 10)
  --instances I  instances per deployment (default 1; 2+ needs MONGODB_URL and REDIS_URL)
  --verbose      show the instances' output`

const flags = parseFlags()
checkFlags(flags, ['rooms', 'rate', 'seconds', 'instances', 'verbose', 'help'], USAGE)
const ROOMS = flagNumber(flags, 'rooms', 100)
const RATE = flagNumber(flags, 'rate', 200)
const SECONDS = flagNumber(flags, 'seconds', 10)
const INSTANCES = flagNumber(flags, 'instances', 1)
const SECRET = 'bench-integration-secret-0123456789'

/** Records each delivery's lag; answers 204 at once. */
function receiver() {
  const lags: number[] = []
  const seen = new Set<string>()
  let bad = 0
  let repeats = 0
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`)
      const got = Buffer.from(String(req.headers['x-roomchat-signature'] ?? ''))
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) bad++
      else {
        const e = JSON.parse(body.toString('utf8')) as {
          room: string
          seq: number
          message: { createdAt: string }
        }
        const key = `${e.room}:${e.seq}`
        if (seen.has(key)) repeats++
        else {
          seen.add(key)
          lags.push(Date.now() - Date.parse(e.message.createdAt))
        }
      }
      res.writeHead(204).end()
    })
  })
  return {
    lags,
    received: () => seen.size,
    bad: () => bad,
    repeats: () => repeats,
    async start(): Promise<string> {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
    },
    stop: () => new Promise<void>((r) => server.close(() => r())),
  }
}

interface Run {
  label: string
  sent: number
  cpuPerMessageMs: number
  sendP50: number
}

async function run(
  label: string,
  integration: boolean,
  rx: ReturnType<typeof receiver>,
  url: string,
): Promise<Run> {
  const deployment = await startInstances({
    instances: INSTANCES,
    quiet: !flags.has('verbose'),
    env: {
      INTEGRATIONS_ALLOW_PRIVATE: 'true',
      RATE_MESSAGE_USER: '100000000',
      ARGON2_MEMORY_KIB: '1024',
      ARGON2_TIME_COST: '1',
    },
  })
  try {
    const { urls } = deployment
    const admin = new ChatHttp({ baseUrl: urls[0]! })
    await admin.login(deployment.admin)
    const senders = urls.map((u) => new ChatHttp({ baseUrl: u, token: admin.token! }))
    const rooms: string[] = []
    for (let i = 0; i < ROOMS; i++) rooms.push((await admin.createRoom({ name: `hooked ${i}` })).id)
    if (integration) await admin.createIntegration({ url, secret: SECRET, rooms, events: ['message'] })
    // Warm-up: one message per room (and its delivery), outside the measured window.
    const before = rx.received()
    await Promise.all(rooms.map((r, i) => senders[i % senders.length]!.sendMessage(r, 'warm-up', `w${i}`)))
    if (integration) while (rx.received() < before + ROOMS) await sleep(20)
    const start = rx.received()
    const cpu0 = deployment.pids.map((p) => cpuSeconds(p) ?? 0)
    const total = RATE * SECONDS
    const latencies: number[] = []
    const inFlight: Promise<void>[] = []
    const started = performance.now()
    for (let i = 0; i < total; i++) {
      const wait = started + (i * 1000) / RATE - performance.now()
      if (wait > 0) await sleep(wait)
      const t0 = performance.now()
      inFlight.push(
        senders[i % senders.length]!.sendMessage(rooms[i % rooms.length]!, `event ${i}`, `b${i}`).then(() => {
          latencies.push(performance.now() - t0)
        }),
      )
    }
    await Promise.all(inFlight)
    if (integration) {
      const deadline = Date.now() + 120_000
      while (rx.received() < start + total && Date.now() < deadline) await sleep(10)
    }
    const cpu1 = deployment.pids.map((p) => cpuSeconds(p) ?? 0)
    const cpuMs = cpu1.reduce((a, c, i) => a + (c - cpu0[i]!), 0) * 1000
    latencies.sort((a, b) => a - b)
    return { label, sent: total, cpuPerMessageMs: cpuMs / total, sendP50: quantile(latencies, 0.5) }
  } finally {
    await deployment.stop()
  }
}

async function main(): Promise<void> {
  const rx = receiver()
  const url = await rx.start()
  try {
    const backend = process.env.MONGODB_URL ? `MongoDB-wire + Redis, ${INSTANCES} instance(s)` : 'embedded'
    console.log(`integrations bench: ${ROOMS} rooms, ${RATE} messages/s for ${SECONDS} s, ${backend}`)
    const off = await run('no integration', false, rx, url)
    const lagFrom = rx.lags.length
    const on = await run('one integration', true, rx, url)
    for (const r of [off, on])
      console.log(
        `${r.label.padEnd(16)} ${int(r.sent)} messages, server CPU ${r.cpuPerMessageMs.toFixed(3)} ms/message, send p50 ${ms(r.sendP50)}`,
      )
    console.log(`CPU per message, on / off: ${(on.cpuPerMessageMs / off.cpuPerMessageMs).toFixed(2)}×`)
    const lags = rx.lags.slice(lagFrom + ROOMS).sort((a, b) => a - b)
    console.log(
      `deliveries: ${int(lags.length)} of ${int(on.sent)}; lag p50 ${ms(quantile(lags, 0.5))}, p99 ${ms(quantile(lags, 0.99))}, max ${ms(lags[lags.length - 1] ?? Number.NaN)}; repeats ${rx.repeats()}, bad signatures ${rx.bad()}`,
    )
  } finally {
    await rx.stop()
  }
}

await main()
