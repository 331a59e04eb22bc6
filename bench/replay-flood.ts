// What one socket can pull with `join {since: 0}`: a room with a long history, one member's
// socket re-joining it every 55 ms (under the frame limit), and meanwhile another user sending in
// another room. Prints what the flooding socket sent and pulled (frames, bytes, the ratio of the
// two) and the other user's send→ack latency, with a baseline of that latency measured first with
// no flood. Runs it with the replay bound on (the defaults) and off (WS_REPLAY_MAX_EVENTS and
// WS_REPLAY_EVENTS_PER_MINUTE raised past the room), each on an instance of its own (embedded, or
// scaled when MONGODB_URL/REDIS_URL are set).
//
//   node --import tsx bench/replay-flood.ts --messages 4735 --interval 55 --duration 8
import WebSocket from 'ws'
import { ChatHttp } from '../packages/client/src/index.ts'
import {
  checkFlags,
  deployment,
  flagNumber,
  int,
  ms,
  parseFlags,
  quantile,
  registerUsers,
  sleep,
} from './lib.ts'

const USAGE = `node --import tsx bench/replay-flood.ts [flags]
  --messages N   messages stored in the flooded room first (default 4735)
  --interval MS  the flooding socket's joins, one every MS (default 55: 18 frames/s)
  --duration S   how long it floods (default 8)
  --every MS     the other user's sends, one every MS (default 100)
  --bound WHICH  on, off or both (default both: off first, then on)
  --url URL      target a running instance instead (needs ADMIN_USERNAME/ADMIN_PASSWORD; one run, as it is configured)
  --verbose      show the instance's output`

const flags = parseFlags()
checkFlags(flags, ['messages', 'interval', 'duration', 'every', 'bound', 'url', 'verbose', 'help'], USAGE)
const MESSAGES = flagNumber(flags, 'messages', 4735)
const INTERVAL = flagNumber(flags, 'interval', 55)
const DURATION = flagNumber(flags, 'duration', 8)
const EVERY = flagNumber(flags, 'every', 100)
const BOUND = flags.get('bound')?.[0] ?? 'both'
if (!['on', 'off', 'both'].includes(BOUND)) throw new Error(`--bound on|off|both\n${USAGE}`)
const BENCH_ENV = { RATE_MESSAGE_USER: '100000000', RATE_REGISTER_IP: '1000000' }
/** The bound out of the way: every join replays the whole room, as before there was one. */
const UNBOUNDED = { WS_REPLAY_MAX_EVENTS: '10000', WS_REPLAY_EVENTS_PER_MINUTE: '1000000000' }

function open(base: string, token: string): Promise<WebSocket> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ws`, {
    headers: { authorization: `Bearer ${token}` },
  })
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

/** Sends one message every EVERY ms for `seconds` and returns the send→ack times, sorted. */
async function sendLoop(ws: WebSocket, room: string, seconds: number, tag: string): Promise<number[]> {
  const started = new Map<string, number>()
  const times: number[] = []
  const onFrame = (data: WebSocket.RawData) => {
    const f = JSON.parse(data.toString()) as { type: string; clientMsgId?: string }
    if (f.type !== 'ack' || !f.clientMsgId) return
    const t0 = started.get(f.clientMsgId)
    if (t0 === undefined) return
    started.delete(f.clientMsgId)
    times.push(performance.now() - t0)
  }
  ws.on('message', onFrame)
  const end = performance.now() + seconds * 1000
  for (let i = 0; performance.now() < end; i++) {
    const id = `${tag}-${i}`
    started.set(id, performance.now())
    ws.send(JSON.stringify({ type: 'send', room, clientMsgId: id, text: `probe ${i}` }))
    await sleep(EVERY)
  }
  // The acks still owed, for at most 30 s: one that never comes counts as the whole wait.
  const deadline = performance.now() + 30_000
  while (started.size > 0 && performance.now() < deadline) await sleep(20)
  for (const t0 of started.values()) times.push(performance.now() - t0)
  ws.off('message', onFrame)
  return times.sort((a, b) => a - b)
}

interface Flood {
  joinsSent: number
  bytesSent: number
  framesIn: number
  bytesIn: number
  replayed: number
  /** `joined` frames with `skipped`: told to page through history. */
  skipped: number
  /** Joins refused because one of the room was under way. */
  refused: number
  closes: number[]
}

/** A socket re-joining `room` with since 0 every INTERVAL ms; redials when closed, as a hostile client would. */
async function flood(base: string, token: string, room: string, seconds: number): Promise<Flood> {
  const out: Flood = {
    joinsSent: 0,
    bytesSent: 0,
    framesIn: 0,
    bytesIn: 0,
    replayed: 0,
    skipped: 0,
    refused: 0,
    closes: [],
  }
  let ws: WebSocket | null = null
  let flooding = true
  const attach = async () => {
    const s = await open(base, token)
    s.on('message', (data: WebSocket.RawData) => {
      const text = data.toString()
      out.framesIn++
      out.bytesIn += Buffer.byteLength(text)
      if (text.startsWith('{"type":"message"')) out.replayed++
      else if (text.startsWith('{"type":"joined"') && text.includes('"skipped"')) out.skipped++
      else if (text.includes('"JOIN_IN_PROGRESS"')) out.refused++
    })
    s.once('close', (code) => {
      if (flooding) out.closes.push(code)
      if (ws === s) ws = null
    })
    ws = s
  }
  await attach()
  const end = performance.now() + seconds * 1000
  while (performance.now() < end) {
    if (!ws) await attach().catch(() => {})
    const frame = JSON.stringify({ type: 'join', room, since: 0 })
    if (ws && (ws as WebSocket).readyState === WebSocket.OPEN) {
      ;(ws as WebSocket).send(frame)
      out.joinsSent++
      out.bytesSent += frame.length
    }
    await sleep(INTERVAL)
  }
  flooding = false
  const last = ws as WebSocket | null
  last?.close()
  return out
}

interface Run {
  label: string
  pulled: Flood
  baseline: number[]
  during: number[]
}

async function run(label: string, env: Record<string, string>): Promise<Run> {
  const deploy = await deployment(flags, 1, { ...BENCH_ENV, ...env })
  try {
    const base = deploy.urls[0]!
    console.log(`\n--- ${label}; backend: ${deploy.backend}; instance: ${base}`)
    const admin = new ChatHttp({ baseUrl: base })
    await admin.login(deploy.admin)
    const [flooder, other] = await registerUsers(admin, [base], 2, 2, 'flood')
    const big = await admin.createRoom({ name: 'flooded' })
    const quiet = await admin.createRoom({ name: 'elsewhere' })
    await flooder!.http.joinRoom(big.id)
    await other!.http.joinRoom(quiet.id)
    const seeded = performance.now()
    let next = 0
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = next++; i < MESSAGES; i = next++)
          await admin.sendMessage(big.id, `history message ${i}, a line of ordinary length for a chat`)
      }),
    )
    console.log(`stored ${int(MESSAGES)} messages in ${((performance.now() - seeded) / 1000).toFixed(1)} s`)

    const sender = await open(base, other!.token)
    sender.send(JSON.stringify({ type: 'join', room: quiet.id }))
    await sleep(200)
    const baseline = await sendLoop(sender, quiet.id, 3, 'calm')
    const [pulled, during] = await Promise.all([
      flood(base, flooder!.token, big.id, DURATION),
      sendLoop(sender, quiet.id, DURATION, 'busy'),
    ])
    sender.close()
    report({ label, pulled, baseline, during })
    return { label, pulled, baseline, during }
  } finally {
    await deploy.stop()
  }
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`

function report({ pulled, baseline, during }: Run): void {
  console.log(`flooding socket: ${int(pulled.joinsSent)} joins sent (${int(pulled.bytesSent)} B)`)
  console.log(
    `  pulled ${int(pulled.framesIn)} frames, ${mib(pulled.bytesIn)}: ${int(pulled.replayed)} replayed messages, ${int(pulled.skipped)} joined with skipped, ${int(pulled.refused)} joins refused (one under way)`,
  )
  console.log(
    `  amplification: ${int(pulled.framesIn / Math.max(1, pulled.joinsSent))}x the frames, ${int(pulled.bytesIn / Math.max(1, pulled.bytesSent))}x the bytes it sent`,
  )
  console.log(`  closed by the server: ${pulled.closes.length ? pulled.closes.join(', ') : 'never'}`)
  console.log(
    `other user's send→ack, no flood: p50 ${ms(quantile(baseline, 0.5))}, p99 ${ms(quantile(baseline, 0.99))} (${baseline.length} sends)`,
  )
  console.log(
    `other user's send→ack, during the flood: p50 ${ms(quantile(during, 0.5))}, p99 ${ms(quantile(during, 0.99))} (${during.length} sends)`,
  )
}

async function main(): Promise<void> {
  console.log(
    `replay flood: a room of ${int(MESSAGES)} messages, join {since: 0} every ${INTERVAL} ms for ${DURATION} s; another user sends every ${EVERY} ms in another room`,
  )
  const runs: Run[] = []
  if (flags.has('url')) runs.push(await run('the given instance', {}))
  else {
    if (BOUND !== 'on') runs.push(await run('bound off', UNBOUNDED))
    if (BOUND !== 'off') runs.push(await run('bound on (the defaults)', {}))
  }
  if (runs.length < 2) return
  console.log(
    '\n| run | joins sent | frames pulled | bytes pulled | replayed messages | send→ack p50 / p99 (no flood) | during the flood |',
  )
  console.log('|---|---|---|---|---|---|---|')
  for (const r of runs)
    console.log(
      `| ${r.label} | ${int(r.pulled.joinsSent)} | ${int(r.pulled.framesIn)} | ${mib(r.pulled.bytesIn)} | ${int(r.pulled.replayed)} | ${ms(quantile(r.baseline, 0.5))} / ${ms(quantile(r.baseline, 0.99))} | ${ms(quantile(r.during, 0.5))} / ${ms(quantile(r.during, 0.99))} |`,
    )
}

await main()
