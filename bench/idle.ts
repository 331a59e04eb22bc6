// What idle sockets and quiet rooms cost an instance.
//
//   node --import tsx bench/idle.ts --sockets 10000 --rooms 5000
//
// 1. Memory: S authenticated sockets that do nothing (U users, S/U sockets each) are opened on
//    one instance; the instance's RSS before and after, per socket. The same number of sockets
//    is then opened on a bare `ws` server (bench/floor-ws.ts) in the same run, and the ratio of
//    the two per-socket figures is printed.
// 2. Quiet rooms: R rooms, each followed by a socket (100 rooms per socket, each socket a user
//    of its own), and no message anywhere; the instance's CPU over W seconds of that silence.
import WebSocket from 'ws'
import { ChatHttp } from '../packages/client/src/index.ts'
import {
  checkFlags,
  cpuSeconds,
  deployment,
  flagNumber,
  int,
  parseFlags,
  registerUsers,
  rssBytes,
  sleep,
  startFloor,
} from './lib.ts'

const USAGE = `node --import tsx bench/idle.ts [flags]
  --sockets S      idle authenticated sockets for the memory figure (default 10000; 0 skips it)
  --per-user K     sockets per user (default 10)
  --rooms R        quiet followed rooms for the CPU figure (default 5000; 0 skips it)
  --window W       seconds of silence measured (default 20)
  --verbose        show the instance's output`

const flags = parseFlags()
checkFlags(flags, ['sockets', 'per-user', 'rooms', 'window', 'verbose', 'help'], USAGE)
const SOCKETS = flagNumber(flags, 'sockets', 10_000)
const PER_USER = Math.max(1, flagNumber(flags, 'per-user', 10))
const ROOMS = flagNumber(flags, 'rooms', 5_000)
const WINDOW = flagNumber(flags, 'window', 20)
const ROOMS_PER_SOCKET = 100

const BENCH_ENV = {
  RATE_LOGIN_IP: '1000000',
  RATE_LOGIN_USER: '1000000',
  RATE_REGISTER_IP: '1000000',
  RATE_MESSAGE_USER: '1000000',
  WS_FRAMES_PER_SECOND: '100000',
  ARGON2_MEMORY_KIB: '1024',
  ARGON2_TIME_COST: '1',
}

const line = (name: string, value: string) => console.log(`  ${name.padEnd(34)} ${value}`)

async function main(): Promise<void> {
  const deploy = await deployment(flags, 1, BENCH_ENV)
  const open: WebSocket[] = []
  try {
    const base = deploy.urls[0]!
    const pid = deploy.pids[0]
    if (pid === undefined) throw new Error('bench/idle.ts measures an instance it starts (no --url)')
    console.log(`idle bench: backend ${deploy.backend}`)
    const admin = new ChatHttp({ baseUrl: base })
    await admin.login(deploy.admin)
    const wsUrl = `${base.replace(/^http/, 'ws')}/ws`

    if (SOCKETS > 0) {
      const users = await registerUsers(admin, [base], Math.ceil(SOCKETS / PER_USER))
      await settle()
      const before = rssBytes(pid)!
      await connectMany(SOCKETS, (i) => connect(wsUrl, users[i % users.length]!.token), open)
      await settle()
      const after = rssBytes(pid)!
      const perSocket = (after - before) / SOCKETS
      for (const ws of open.splice(0)) ws.terminate()

      const floor = await startFloor('floor-ws.ts', ['--port', '0'])
      let floorPerSocket = Number.NaN
      try {
        await settle()
        const fBefore = rssBytes(floor.pid)!
        await connectMany(SOCKETS, () => connect(`ws://127.0.0.1:${floor.port}/`, ''), open)
        await settle()
        floorPerSocket = (rssBytes(floor.pid)! - fBefore) / SOCKETS
        for (const ws of open.splice(0)) ws.terminate()
      } finally {
        await floor.stop()
      }
      console.log(`\nmemory: ${int(SOCKETS)} idle sockets (${PER_USER} per user)`)
      line('server RSS per socket', `${(perSocket / 1024).toFixed(2)} KB (${mib(before)} → ${mib(after)})`)
      line('bare ws RSS per socket', `${(floorPerSocket / 1024).toFixed(2)} KB`)
      line('ratio', `${(perSocket / floorPerSocket).toFixed(2)}x the bare ws server`)
    }

    if (ROOMS > 0) {
      const sockets = Math.ceil(ROOMS / ROOMS_PER_SOCKET)
      const users = await registerUsers(admin, [base], sockets, 16, 'q')
      const rooms: string[] = new Array(ROOMS)
      await parallel(ROOMS, 16, async (r) => {
        rooms[r] = (await admin.createRoom({ name: `quiet ${r}` })).id
      })
      await parallel(ROOMS, 16, async (r) => {
        await users[Math.floor(r / ROOMS_PER_SOCKET)]!.http.joinRoom(rooms[r]!)
      })
      await connectMany(
        sockets,
        async (s) => {
          const ws = await connect(wsUrl, users[s]!.token)
          const mine = rooms.slice(s * ROOMS_PER_SOCKET, (s + 1) * ROOMS_PER_SOCKET)
          await joinAll(ws, mine)
          return ws
        },
        open,
      )
      await settle()
      const c0 = cpuSeconds(pid)!
      const t0 = performance.now()
      await sleep(WINDOW * 1000)
      const cpu = (cpuSeconds(pid)! - c0) / ((performance.now() - t0) / 1000)
      console.log(`\nquiet rooms: ${int(ROOMS)} rooms followed by ${sockets} sockets, no messages`)
      line(`server CPU over ${WINDOW} s`, `${(cpu * 100).toFixed(2)}% of a core`)
    }
  } finally {
    for (const ws of open) ws.terminate()
    await deploy.stop()
  }
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`

/** Lets the instance finish what the last step started (and its GC run) before a reading. */
const settle = () => sleep(3_000)

function connect(url: string, token: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      perMessageDeflate: false,
    })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)))
  })
}

/** Joins rooms on a socket and waits for every `joined`. */
function joinAll(ws: WebSocket, rooms: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const waiting = new Set(rooms)
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString())
      if (f.type === 'joined') {
        waiting.delete(f.room)
        if (waiting.size === 0) resolve()
      } else if (f.type === 'error') reject(new Error(`join: ${f.code} ${f.message}`))
    })
    for (const room of rooms) ws.send(JSON.stringify({ type: 'join', room }))
  })
}

async function connectMany(
  count: number,
  open1: (i: number) => Promise<WebSocket>,
  into: WebSocket[],
): Promise<void> {
  await parallel(count, 64, async (i) => {
    into.push(await open1(i))
  })
}

async function parallel(count: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(width, count) }, async () => {
      for (let i = next++; i < count; i = next++) await fn(i)
    }),
  )
}

await main()
