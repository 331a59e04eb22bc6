// WebSocket fan-out load: N clients in R rooms over I instances; M messages per second for D
// seconds spread over the senders. Prints delivered messages per second, send→deliver and
// send→ack latency, and checks that every client got every message of its room exactly once,
// in seq order.
//
//   node --import tsx bench/ws-fanout.ts --clients 200 --rooms 10 --instances 2 --rate 500 --duration 10
//
// The clients are plain `ws` sockets speaking the protocol (not ChatSocket): what the server
// sends is measured and checked as it comes, without the client's reordering or de-duplication.
// All clients live in this process, so one clock times every message.
//
// With --floor, the same workload then runs against a bare `ws` broadcaster (bench/floor-ws.ts:
// same frames, one stringify per message, no store, no bus) in the same run, and the script
// prints the server's CPU per 1,000 deliveries as a ratio of the floor's. It also reads the
// instances' /metrics before and after the send phase and prints store operations per message.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import WebSocket from 'ws'
import { ChatHttp } from '../packages/client/src/index.ts'
import {
  checkFlags,
  cpuSeconds,
  deployment,
  flagNumber,
  int,
  ms,
  opsDelta,
  parseFlags,
  quantile,
  registerUsers,
  sleep,
  startFloor,
  storeOps,
} from './lib.ts'

const USAGE = `node --import tsx bench/ws-fanout.ts [flags]
  --clients N      connected clients, each a user of its own (default 100)
  --rooms R        rooms; client i is in room i % R (default 5)
  --instances I    server instances to start (default 1; more needs MONGODB_URL and REDIS_URL)
  --rate M         messages per second, all senders together (default 200)
  --duration D     seconds of sending (default 10)
  --senders K      how many clients send, round robin (default: all)
  --warmup W       seconds of sending at the same rate before the measured phase, not counted
                   (default 10; the JIT compiles the hot path then, as in a server running for days)
  --url URL        target running instances instead (repeat or comma-separate; needs
                   ADMIN_USERNAME/ADMIN_PASSWORD of that deployment, and its limits raised)
  --floor          run the same workload against a bare ws broadcaster too and print the ratio
  --verbose        show the instances' output`

const flags = parseFlags()
checkFlags(
  flags,
  [
    'clients',
    'rooms',
    'instances',
    'rate',
    'duration',
    'senders',
    'warmup',
    'url',
    'floor',
    'verbose',
    'help',
  ],
  USAGE,
)
const CLIENTS = flagNumber(flags, 'clients', 100)
const ROOMS = Math.max(1, Math.min(flagNumber(flags, 'rooms', 5), CLIENTS))
const INSTANCES = Math.max(1, flagNumber(flags, 'instances', 1))
const RATE = flagNumber(flags, 'rate', 200)
const DURATION = flagNumber(flags, 'duration', 10)
const SENDERS = Math.max(1, Math.min(flagNumber(flags, 'senders', CLIENTS), CLIENTS))
const WARMUP = Math.max(0, flagNumber(flags, 'warmup', 10))

/** Limits raised so that the bench measures delivery, not the abuse limits; cheap hashing for fast setup. */
const BENCH_ENV = {
  RATE_LOGIN_IP: '1000000',
  RATE_LOGIN_USER: '1000000',
  RATE_REGISTER_IP: '1000000',
  RATE_MESSAGE_USER: '1000000',
  WS_FRAMES_PER_SECOND: '100000',
  ARGON2_MEMORY_KIB: '1024',
  ARGON2_TIME_COST: '1',
}

interface Client {
  index: number
  room: string
  ws: WebSocket
  /** seq of the last message received in order. */
  last: number
  received: number
  /** Warm-up messages received (clientMsgId `w…`): in the seq checks, not in the figures. */
  warmed: number
  duplicates: number
  outOfOrder: number
  closed: number | null
}

const totalMessages = Math.round(RATE * DURATION)
const warmupMessages = Math.round(RATE * WARMUP)
/** How long to wait after the last send for the acks and deliveries still on their way. */
const DRAIN_MS = 30_000

/** What one run of the workload (against the server, or against the floor) measured. */
interface RunResult {
  deliveries: number
  /** CPU seconds of the measured processes over the send phase and drain. */
  cpuSeconds: number | null
  exact: boolean
  p50: number
  p99: number
}

/** One run of the workload: its clients and everything it counts. */
class Run {
  readonly clients: Client[] = []
  /** Send time per message number (performance.now()). */
  readonly sentAt = new Float64Array(totalMessages)
  readonly ackLatency: number[] = []
  readonly deliverLatency: number[] = []
  readonly errors = new Map<string, number>()
  readonly closes = new Map<number, number>()
  /** Per room: messages sent to it; and the room of each message number. */
  readonly roomSent = new Map<string, number>()
  readonly sentRoom: string[] = new Array(totalMessages)
  /** Per room: the highest seq acked. */
  readonly ackedMax = new Map<string, number>()
  readonly loop = monitorEventLoopDelay({ resolution: 10 })
  acked = 0
  warmAcked = 0
  /** Per room: warm-up messages sent to it. */
  readonly roomWarm = new Map<string, number>()
  firstSend = 0
  lastDelivery = 0

  constructor(readonly name: string) {}

  errorCount(): number {
    let n = 0
    for (const v of this.errors.values()) n += v
    return n
  }

  terminate(): void {
    for (const c of this.clients) c?.ws.terminate()
  }
}

async function main(): Promise<void> {
  console.log(
    `ws-fanout: ${CLIENTS} clients, ${ROOMS} rooms, ${INSTANCES} instance(s), ${RATE} msg/s for ${DURATION} s from ${SENDERS} senders`,
  )
  const deploy = await deployment(flags, INSTANCES, BENCH_ENV)
  const runs: Run[] = []
  const stopAll = async () => {
    for (const r of runs) r.terminate()
    await deploy.stop()
  }
  process.once('SIGINT', () => {
    void stopAll().finally(() => process.exit(130))
  })
  try {
    console.log(`backend: ${deploy.backend}; instances: ${deploy.urls.join(' ')}`)
    if (deploy.pids.length > 0) {
      console.log(
        'instances started with abuse limits raised (RATE_*, WS_FRAMES_PER_SECOND) and cheap argon2 for a fast setup',
      )
    }

    // Users, rooms, memberships.
    const t0 = performance.now()
    const admin = new ChatHttp({ baseUrl: deploy.urls[0]! })
    await admin.login(deploy.admin)
    const users = await registerUsers(admin, deploy.urls, CLIENTS)
    const perRoom = Math.ceil(CLIENTS / ROOMS)
    const rooms: string[] = []
    for (let r = 0; r < ROOMS; r++) {
      const room = await admin.createRoom({
        name: `bench ${r}`,
        maxMembers: Math.min(10_000, Math.max(2, perRoom + 1)),
      })
      rooms.push(room.id)
    }
    await parallel(users, 16, (u, i) => u.http.joinRoom(rooms[i % ROOMS]!))
    console.log(
      `setup: ${CLIENTS} users registered and in their rooms in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    )

    const server = new Run('server')
    runs.push(server)
    // Store operations of the send phase and its drain only (not of the joins before it).
    let opsBefore: Awaited<ReturnType<typeof storeOps>>[] = []
    let opsAfter: Awaited<ReturnType<typeof storeOps>>[] = []
    const result = await runWorkload(
      server,
      (i) => ({
        url: `${deploy.urls[i % deploy.urls.length]!.replace(/^http/, 'ws')}/ws`,
        token: users[i]!.token,
      }),
      rooms,
      deploy.pids,
      {
        before: async () => {
          opsBefore = await Promise.all(deploy.urls.map(storeOps))
        },
        after: async () => {
          opsAfter = await Promise.all(deploy.urls.map(storeOps))
        },
      },
    )
    server.terminate()
    let ops = 0
    const byOp = new Map<string, number>()
    for (const [i, after] of opsAfter.entries()) {
      ops += after.total - opsBefore[i]!.total
      for (const [k, v] of opsDelta(opsBefore[i]!.byOp, after.byOp)) byOp.set(k, (byOp.get(k) ?? 0) + v)
    }
    const line = (name: string, value: string) => console.log(`  ${name.padEnd(30)} ${value}`)
    line(
      'store operations per message',
      `${(ops / totalMessages).toFixed(2)} (${[...byOp]
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${(v / totalMessages).toFixed(2)}`)
        .join(', ')})`,
    )
    if (result.cpuSeconds !== null) {
      line(
        'server CPU per message sent',
        `${((result.cpuSeconds / totalMessages) * 1e6).toFixed(0)} us (all instances together)`,
      )
    }

    if (flags.has('floor')) {
      const floorServer = await startFloor('floor-ws.ts', ['--port', '0'])
      try {
        const floor = new Run('floor')
        runs.push(floor)
        console.log('\nthe same workload on a bare ws broadcaster (bench/floor-ws.ts)')
        const f = await runWorkload(
          floor,
          () => ({ url: `ws://127.0.0.1:${floorServer.port}/`, token: '' }),
          rooms,
          [floorServer.pid],
        )
        floor.terminate()
        if (result.cpuSeconds !== null && f.cpuSeconds !== null) {
          const per = (r: RunResult) => (r.cpuSeconds! / r.deliveries) * 1000 * 1000
          console.log('\nfloor comparison (server CPU per 1,000 deliveries)')
          line('server', `${per(result).toFixed(1)} ms  (p50 ${ms(result.p50)}, p99 ${ms(result.p99)})`)
          line('bare ws floor', `${per(f).toFixed(1)} ms  (p50 ${ms(f.p50)}, p99 ${ms(f.p99)})`)
          line('ratio', `${(per(result) / per(f)).toFixed(2)}x the floor`)
        }
      } finally {
        await floorServer.stop()
      }
    }
  } finally {
    await stopAll()
  }
}

/** Connects every client, joins, sends, drains, prints the report; returns the figures. */
async function runWorkload(
  run: Run,
  target: (i: number) => { url: string; token: string },
  rooms: string[],
  pids: number[],
  around?: { before(): Promise<void>; after(): Promise<void> },
): Promise<RunResult> {
  // Sockets, spread over the instances; each joins its room.
  const t1 = performance.now()
  await parallel(
    Array.from({ length: CLIENTS }, (_, i) => i),
    32,
    async (i) => {
      const { url, token } = target(i)
      run.clients[i] = await openClient(run, i, url, token, rooms[i % ROOMS]!)
    },
  )
  console.log(`connected and joined: ${CLIENTS} sockets in ${((performance.now() - t1) / 1000).toFixed(1)} s`)
  if (warmupMessages > 0) await warmUp(run)
  await sleep(500)
  await around?.before()

  // Send phase.
  const cpuBefore = pids.map(cpuSeconds)
  const ownBefore = process.cpuUsage()
  const wallBefore = performance.now()
  run.loop.enable()
  await sendPhase(run)
  const sendEnd = performance.now()
  // Drain: every ack, and every delivery (each message to every client of its room).
  const expected = () => {
    let n = 0
    for (const c of run.clients) n += run.roomSent.get(c.room) ?? 0
    return n
  }
  const drainDeadline = performance.now() + DRAIN_MS
  let complete = false
  while (!complete && performance.now() < drainDeadline) {
    const received = run.clients.reduce((n, c) => n + c.received, 0)
    complete = run.acked + run.errorCount() >= totalMessages && received >= expected()
    if (!complete) await sleep(20)
  }
  run.loop.disable()
  // What every client must have by now: each room's messages up to its highest acked seq. When
  // sends are still in flight, deliveries of the last acks get a moment to land.
  const mustHave = new Map(run.ackedMax)
  if (!complete) await sleep(2_000)
  await around?.after()
  const wall = (performance.now() - wallBefore) / 1000
  const used = pids.map((pid, i) => {
    const after = cpuSeconds(pid)
    const before = cpuBefore[i]
    return after === null || before === null || before === undefined ? null : after - before
  })
  const own = process.cpuUsage(ownBefore)
  return report(run, expected(), sendEnd, used, wall, (own.user + own.system) / 1e6 / wall, mustHave)
}

function openClient(run: Run, index: number, url: string, token: string, room: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      perMessageDeflate: false,
    })
    const client: Client = {
      index,
      room,
      ws,
      last: 0,
      received: 0,
      warmed: 0,
      duplicates: 0,
      outOfOrder: 0,
      closed: null,
    }
    let joined = false
    ws.on('open', () => ws.send(JSON.stringify({ type: 'join', room })))
    ws.on('unexpected-response', (_req, res) =>
      reject(new Error(`client ${index}: upgrade refused ${res.statusCode}`)),
    )
    ws.on('error', (err) => {
      if (!joined) reject(err)
    })
    ws.on('close', (code) => {
      client.closed = code
      run.closes.set(code, (run.closes.get(code) ?? 0) + 1)
      if (!joined) reject(new Error(`client ${index}: closed ${code} before joining`))
    })
    ws.on('message', (data) => {
      const now = performance.now()
      const frame = JSON.parse(data.toString())
      switch (frame.type) {
        case 'message': {
          const m = frame.message
          const seq: number = m.seq
          if (seq === client.last + 1) client.last = seq
          else if (seq <= client.last) client.duplicates++
          else {
            client.outOfOrder++
            client.last = seq
          }
          const id: string | undefined = m.clientMsgId
          if (id && id.charCodeAt(0) === 119 /* w */) {
            client.warmed++
            return
          }
          client.received++
          if (id && id.charCodeAt(0) === 98 /* b */) {
            run.deliverLatency.push(now - run.sentAt[Number(id.slice(1))]!)
            run.lastDelivery = now
          }
          return
        }
        case 'ack': {
          if (frame.clientMsgId.charCodeAt(0) === 119 /* w */) {
            run.warmAcked++
            return
          }
          const n = Number(frame.clientMsgId.slice(1))
          run.ackLatency.push(now - run.sentAt[n]!)
          run.acked++
          const room = run.sentRoom[n]!
          if (frame.seq > (run.ackedMax.get(room) ?? 0)) run.ackedMax.set(room, frame.seq)
          return
        }
        case 'joined':
          joined = true
          client.last = frame.lastSeq
          resolve(client)
          return
        case 'error':
          run.errors.set(frame.code, (run.errors.get(frame.code) ?? 0) + 1)
          if (!joined) reject(new Error(`client ${index}: ${frame.code} ${frame.message}`))
          return
      }
    })
  })
}

/**
 * The warm-up: `warmupMessages` at RATE per second, as the measured phase sends them, then a wait
 * until they are all acked and delivered (30 s at most). Their frames go through the seq checks.
 */
async function warmUp(run: Run): Promise<void> {
  const t0 = performance.now()
  let sent = 0
  while (sent < warmupMessages) {
    const due = Math.min(warmupMessages, Math.floor(((performance.now() - t0) / 1000) * RATE) + 1)
    for (; sent < due; sent++) {
      const c = run.clients[sent % SENDERS]!
      run.roomWarm.set(c.room, (run.roomWarm.get(c.room) ?? 0) + 1)
      if (c.ws.readyState === WebSocket.OPEN)
        c.ws.send(`{"type":"send","room":"${c.room}","clientMsgId":"w${sent}","text":"warm-up ${sent}"}`)
    }
    await sleep(2)
  }
  const expected = run.clients.reduce((n, c) => n + (run.roomWarm.get(c.room) ?? 0), 0)
  const deadline = performance.now() + DRAIN_MS
  while (performance.now() < deadline) {
    if (run.warmAcked >= warmupMessages && run.clients.reduce((n, c) => n + c.warmed, 0) >= expected) break
    await sleep(20)
  }
  console.log(
    `warm-up: ${int(warmupMessages)} messages in ${((performance.now() - t0) / 1000).toFixed(1)} s, not counted`,
  )
}

/** Sends `totalMessages` at RATE per second, spread round robin over the first SENDERS clients. */
async function sendPhase(run: Run): Promise<void> {
  let sent = 0
  let sender = 0
  run.firstSend = performance.now()
  const start = run.firstSend
  while (sent < totalMessages) {
    const due = Math.min(totalMessages, Math.floor(((performance.now() - start) / 1000) * RATE) + 1)
    for (; sent < due; sent++) {
      const c = run.clients[sender]!
      sender = (sender + 1) % SENDERS
      run.sentAt[sent] = performance.now()
      run.roomSent.set(c.room, (run.roomSent.get(c.room) ?? 0) + 1)
      run.sentRoom[sent] = c.room
      if (c.ws.readyState === WebSocket.OPEN)
        c.ws.send(
          `{"type":"send","room":"${c.room}","clientMsgId":"b${sent}","text":"bench message ${sent}"}`,
        )
    }
    await sleep(2)
  }
}

function report(
  run: Run,
  expected: number,
  sendEnd: number,
  cpu: (number | null)[],
  wall: number,
  ownCpu: number,
  mustHave: Map<string, number>,
): RunResult {
  const { clients, deliverLatency, ackLatency, errors, closes, loop } = run
  const received = clients.reduce((n, c) => n + c.received, 0)
  const duplicates = clients.reduce((n, c) => n + c.duplicates, 0)
  const outOfOrder = clients.reduce((n, c) => n + c.outOfOrder, 0)
  // In order with no repeat means received + warmed === last (rooms start empty); behind means an
  // acked message of its room never reached the client.
  const behind = clients.filter(
    (c) => c.last < (mustHave.get(c.room) ?? 0) || c.received + c.warmed !== c.last,
  ).length
  const sendSeconds = (sendEnd - run.firstSend) / 1000
  const deliverSeconds = (run.lastDelivery - run.firstSend) / 1000
  deliverLatency.sort((a, b) => a - b)
  ackLatency.sort((a, b) => a - b)
  const line = (name: string, value: string) => console.log(`  ${name.padEnd(30)} ${value}`)
  console.log(`\nresults (${run.name})`)
  line(
    'messages sent',
    `${int(totalMessages)} in ${sendSeconds.toFixed(2)} s (${int(totalMessages / sendSeconds)}/s)`,
  )
  line(
    'acked',
    `${int(run.acked)}${errors.size ? `; errors ${JSON.stringify(Object.fromEntries(errors))}` : ''}`,
  )
  line(
    'deliveries',
    `${int(received)} of ${int(expected)} expected, over ${deliverSeconds.toFixed(2)} s: ${int(received / deliverSeconds)} msg/s delivered`,
  )
  const p50 = quantile(deliverLatency, 0.5)
  const p99 = quantile(deliverLatency, 0.99)
  line(
    'send → deliver latency',
    `p50 ${ms(p50)}  p99 ${ms(p99)}  max ${ms(deliverLatency.at(-1) ?? Number.NaN)}`,
  )
  line(
    'send → ack latency',
    `p50 ${ms(quantile(ackLatency, 0.5))}  p99 ${ms(quantile(ackLatency, 0.99))}  max ${ms(ackLatency.at(-1) ?? Number.NaN)}`,
  )
  const exact = duplicates === 0 && outOfOrder === 0 && behind === 0
  line(
    'exactly once, in seq order',
    `${exact ? 'yes' : 'NO'}: duplicates ${duplicates}, out of order ${outOfOrder}, clients missing acked messages ${behind}/${clients.length}`,
  )
  if (run.acked + run.errorCount() < totalMessages || received < expected) {
    line(
      'unfinished',
      `${int(totalMessages - run.acked - run.errorCount())} sends not acked ${DRAIN_MS / 1000} s after the last send: past the server's capacity`,
    )
  }
  if (closes.size) line('sockets closed during the run', JSON.stringify(Object.fromEntries(closes)))
  let cpuSecondsTotal: number | null = null
  if (cpu.some((c) => c !== null)) {
    cpuSecondsTotal = cpu.reduce<number>((n, c) => n + (c ?? 0), 0)
    line(
      'server CPU (cores busy)',
      cpu.map((c, i) => `#${i} ${c === null ? 'n/a' : (c / wall).toFixed(2)}`).join('  '),
    )
    line('server CPU per 1,000 deliveries', `${((cpuSecondsTotal / received) * 1e6).toFixed(1)} ms`)
  }
  line(
    'bench script',
    `CPU ${ownCpu.toFixed(2)} cores; event-loop delay p99 ${ms(loop.percentile(99) / 1e6)}  max ${ms(loop.max / 1e6)}`,
  )
  if (!exact) process.exitCode = 1
  return { deliveries: received, cpuSeconds: cpuSecondsTotal, exact, p50, p99 }
}

async function parallel<T>(
  items: T[],
  width: number,
  fn: (item: T, index: number) => Promise<unknown>,
): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) await fn(items[i]!, i)
    }),
  )
}

await main()
