// HTTP load on the main routes with autocannon: login, GET /api/me, GET /api/rooms,
// GET /api/rooms/:id/messages. Starts one instance itself (embedded, or scaled when
// MONGODB_URL/REDIS_URL are set), prepares the data, runs each route for a few seconds and
// prints requests per second and latency.
//
//   node --import tsx bench/http.ts --duration 5 --connections 20
import autocannon from 'autocannon'
import { ChatHttp } from '../packages/client/src/index.ts'
import {
  checkFlags,
  cpuSeconds,
  deployment,
  flagList,
  flagNumber,
  int,
  ms,
  parseFlags,
  registerUsers,
  startFloor,
} from './lib.ts'

const USAGE = `node --import tsx bench/http.ts [flags]
  --duration S       seconds per route (default 5)
  --connections C    concurrent connections (default 20)
  --pipelining P     requests in flight per connection (default 1)
  --rooms R          rooms listed by GET /api/rooms (default 30)
  --messages M       messages in the room read by GET /api/rooms/:id/messages (default 500)
  --only a,b         run only these routes: login, me, rooms, messages
  --url URL          target a running instance instead (needs ADMIN_USERNAME/ADMIN_PASSWORD)
  --floor            also run a bare Fastify route returning a constant (bench/floor-http.ts) in
                     the same run, and print GET /api/me's req/s as a share of it
  --rounds N         run the routes N times in turn (default 1) and print each round's figures
                     and the median of the rounds' GET /api/me to floor ratios
  --verbose          show the instance's output`

const flags = parseFlags()
checkFlags(
  flags,
  [
    'duration',
    'connections',
    'pipelining',
    'rooms',
    'messages',
    'only',
    'url',
    'floor',
    'rounds',
    'verbose',
    'help',
  ],
  USAGE,
)
const DURATION = flagNumber(flags, 'duration', 5)
const CONNECTIONS = flagNumber(flags, 'connections', 20)
const PIPELINING = Math.max(1, flagNumber(flags, 'pipelining', 1))
const ROOMS = flagNumber(flags, 'rooms', 30)
const MESSAGES = flagNumber(flags, 'messages', 500)
const ONLY = flagList(flags, 'only')
const ROUNDS = Math.max(1, Math.floor(flagNumber(flags, 'rounds', 1)))

/**
 * Login is rate limited per IP and per username (all requests come from one IP, as one user):
 * raised here so the bench measures the route, not the limiter. Argon2 keeps its production
 * cost, so the login figure is the real one.
 */
const BENCH_ENV = {
  RATE_LOGIN_IP: '100000000',
  RATE_LOGIN_USER: '100000000',
  RATE_REGISTER_IP: '1000000',
  RATE_MESSAGE_USER: '1000000',
}

async function main(): Promise<void> {
  const deploy = await deployment(flags, 1, BENCH_ENV)
  try {
    const base = deploy.urls[0]!
    console.log(`http bench: ${DURATION} s per route, ${CONNECTIONS} connections, pipelining ${PIPELINING}`)
    console.log(`backend: ${deploy.backend}; instance: ${base}`)
    if (deploy.pids.length > 0) {
      console.log(
        `started with RATE_LOGIN_IP=${BENCH_ENV.RATE_LOGIN_IP} RATE_LOGIN_USER=${BENCH_ENV.RATE_LOGIN_USER} (login limits raised for the bench); argon2 at its production cost`,
      )
    }

    const admin = new ChatHttp({ baseUrl: base })
    await admin.login(deploy.admin)
    const [user] = await registerUsers(admin, [base], 1, 1, 'reader')
    const token = user!.token
    let roomId = ''
    for (let r = 0; r < ROOMS; r++) {
      const room = await admin.createRoom({ name: `bench room ${r}`, description: 'for the HTTP bench' })
      await user!.http.joinRoom(room.id)
      if (r === 0) roomId = room.id
    }
    if (!roomId) roomId = (await admin.createRoom({ name: 'bench room' })).id
    await user!.http.joinRoom(roomId)
    for (let i = 0; i < MESSAGES; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, MESSAGES - i) }, (_, k) =>
          user!.http.sendMessage(roomId, `history message ${i + k} with some text to carry 👋`),
        ),
      )
    }
    console.log(`prepared: ${ROOMS} rooms, ${MESSAGES} messages in one of them\n`)

    const auth = { authorization: `Bearer ${token}` }
    const routes = [
      {
        name: 'login',
        title: 'POST /api/auth/login',
        method: 'POST' as const,
        path: '/api/auth/login',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: user!.username, password: 'bench-password-1' }),
      },
      { name: 'me', title: 'GET /api/me', method: 'GET' as const, path: '/api/me', headers: auth },
      { name: 'rooms', title: 'GET /api/rooms', method: 'GET' as const, path: '/api/rooms', headers: auth },
      {
        name: 'messages',
        title: 'GET /api/rooms/:id/messages (50)',
        method: 'GET' as const,
        path: `/api/rooms/${roomId}/messages?limit=50`,
        headers: auth,
      },
    ].filter((r) => ONLY.length === 0 || ONLY.includes(r.name))

    const floor = flags.has('floor') ? await startFloor('floor-http.ts', ['--port', '0']) : null
    if (floor) {
      routes.push({
        name: 'floor',
        title: 'bare Fastify route (floor)',
        method: 'GET' as const,
        path: '/api/me',
        headers: auth,
      })
    }
    const rows: string[][] = []
    // Per round, the route's req/s and server CPU per request: on a shared machine the floor's
    // own figure moves from run to run, so a ratio is taken within a round (back to back).
    const rounds: { rate: Map<string, number>; cpu: Map<string, number> }[] = []
    for (let round = 1; round <= ROUNDS; round++) {
      const rate = new Map<string, number>()
      const cpu = new Map<string, number>()
      rounds.push({ rate, cpu })
      for (const route of routes) {
        const title = ROUNDS > 1 ? `${route.title} (round ${round})` : route.title
        process.stdout.write(`running ${title} ...`)
        const target = route.name === 'floor' ? `http://127.0.0.1:${floor!.port}` : base
        // The server's own CPU per request: steadier on a shared machine than req/s, which also
        // depends on how much CPU the load generator got.
        const pid = route.name === 'floor' ? floor!.pid : deploy.pids[0]
        const cpuBefore = pid === undefined ? null : cpuSeconds(pid)
        const result = await autocannon({
          url: `${target}${route.path}`,
          method: route.method,
          headers: route.headers,
          ...(route.body ? { body: route.body } : {}),
          connections: CONNECTIONS,
          pipelining: PIPELINING,
          duration: DURATION,
          timeout: 30,
          title,
        })
        process.stdout.write(' done\n')
        rate.set(route.name, result.requests.average)
        const cpuAfter = pid === undefined ? null : cpuSeconds(pid)
        const perRequest =
          cpuBefore !== null && cpuAfter !== null && result.requests.total > 0
            ? ((cpuAfter - cpuBefore) * 1e6) / result.requests.total
            : null
        if (perRequest !== null) cpu.set(route.name, perRequest)
        const bad = result.non2xx + result.errors + result.timeouts
        rows.push([
          title,
          int(result.requests.average),
          ms(result.latency.p50),
          ms(result.latency.p99),
          ms(result.latency.max),
          int(result.requests.total),
          perRequest === null ? 'n/a' : `${perRequest.toFixed(1)} µs`,
          bad ? `${bad} (${JSON.stringify(result.statusCodeStats)})` : '0',
        ])
      }
    }
    console.log()
    table(['route', 'req/s', 'p50', 'p99', 'max', 'requests', 'server CPU/req', 'non-2xx/errors'], rows)
    await floor?.stop()
    const shares: number[] = []
    const ratios: number[] = []
    for (const [i, { rate, cpu }] of rounds.entries()) {
      const round = ROUNDS > 1 ? ` (round ${i + 1})` : ''
      const me = rate.get('me')
      const bare = rate.get('floor')
      if (me && bare) {
        shares.push(me / bare)
        console.log(
          `\nGET /api/me${round}: ${((me / bare) * 100).toFixed(0)}% of the bare Fastify route's req/s`,
        )
      }
      const meCpu = cpu.get('me')
      const bareCpu = cpu.get('floor')
      if (meCpu && bareCpu) {
        ratios.push(meCpu / bareCpu)
        console.log(
          `GET /api/me${round}: ${meCpu.toFixed(1)} µs of server CPU per request, ${(meCpu / bareCpu).toFixed(2)}x the bare route's ${bareCpu.toFixed(1)} µs`,
        )
      }
    }
    if (ROUNDS > 1 && shares.length > 0)
      console.log(
        `\nGET /api/me, median of ${shares.length} rounds: ${(median(shares) * 100).toFixed(0)}% of the bare route's req/s; ${median(ratios).toFixed(2)}x its server CPU per request`,
      )
  } finally {
    await deploy.stop()
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

function table(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  console.log(line(head))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const r of rows) console.log(line(r))
}

await main()
