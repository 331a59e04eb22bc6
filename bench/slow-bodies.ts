// Slow bodies from one address against the descriptor limit: does the instance keep serving the
// others?
//
//   node --import tsx bench/slow-bodies.ts                 # the bounds as configured by default, small
//   node --import tsx bench/slow-bodies.ts --unbounded     # the same attack with the bounds off
//
// One instance runs with a low descriptor limit (`--nofile`). From 127.0.0.1, `--attackers`
// connections each send the headers of a JSON request with `Content-Length: 60000`, then one
// byte of its body every `--interval` seconds (each byte restarts the idle time-out), and open
// again once closed. From 127.0.0.2, `GET /api/me` on a fresh connection every 100 ms; from
// 127.0.0.3, /metrics once a second. It prints what became of the attack's connections, the
// instance's counters, and every probe's outcome and latency.
import { request } from 'node:http'
import { connect } from 'node:net'
import { ChatHttp } from '../packages/client/src/index.ts'
import {
  checkFlags,
  flagNumber,
  int,
  METRICS_TOKEN,
  ms,
  parseFlags,
  quantile,
  sleep,
  startInstances,
} from './lib.ts'

const USAGE = `node --import tsx bench/slow-bodies.ts [flags]
  --attackers N    slow-body connections held from 127.0.0.1 (default 300)
  --cap C          MAX_CONNECTIONS_PER_ADDRESS (default 50)
  --nofile F       the instance's descriptor limit (default 256)
  --interval S     seconds between two bytes of a slow body (default 5)
  --duration D     seconds of attack (default 30)
  --unbounded      no per-address cap, no MAX_CONNECTIONS, a body may take the whole request
                   time-out (120 s): the bounds off, as before they existed
  --verbose        show the instance's output`

const flags = parseFlags()
checkFlags(
  flags,
  ['attackers', 'cap', 'nofile', 'interval', 'duration', 'unbounded', 'verbose', 'help'],
  USAGE,
)
const ATTACKERS = flagNumber(flags, 'attackers', 300)
const CAP = flagNumber(flags, 'cap', 50)
const NOFILE = flagNumber(flags, 'nofile', 256)
const INTERVAL = flagNumber(flags, 'interval', 5)
const DURATION = flagNumber(flags, 'duration', 30)
const UNBOUNDED = flags.has('unbounded')

const ATTACKER = '127.0.0.1'
const PROBER = '127.0.0.2'
const WATCHER = '127.0.0.3'
const PROBE_EVERY_MS = 100
const PROBE_TIMEOUT_MS = 5_000
/** A refused attacker waits this long before it tries again (a tight loop would only load the machine). */
const RETRY_MS = 1_000

const env: Record<string, string> = UNBOUNDED
  ? { MAX_CONNECTIONS_PER_ADDRESS: '0', MAX_CONNECTIONS: '0', HTTP_BODY_TIMEOUT_SECONDS: '120' }
  : { MAX_CONNECTIONS_PER_ADDRESS: String(CAP) }

interface Attack {
  opened: number
  /** Closed before a byte of an answer came back. */
  refused: number
  /** Answered 408, and how long each had been open. */
  cut: number[]
  /** Connects that failed outright (ECONNRESET, ECONNREFUSED...). */
  failed: Map<string, number>
}

interface Probes {
  latencies: number[]
  failed: Map<string, number>
  /** The longest run of consecutive failures, in ms. */
  longestOutage: number
}

const tally = (m: Map<string, number>, key: string) => m.set(key, (m.get(key) ?? 0) + 1)

async function main(): Promise<void> {
  const deploy = await startInstances({ instances: 1, env, quiet: !flags.has('verbose'), nofile: NOFILE })
  try {
    const base = deploy.urls[0]!
    const { port } = new URL(base)
    const admin = new ChatHttp({ baseUrl: base })
    const session = await admin.login(deploy.admin)
    const token = session.token
    console.log(
      `slow bodies: ${ATTACKERS} connections from ${ATTACKER}, a byte every ${INTERVAL} s, for ${DURATION} s; ` +
        `instance: ${deploy.backend}, ulimit -n ${NOFILE}, ${
          UNBOUNDED
            ? 'bounds off (--unbounded)'
            : `MAX_CONNECTIONS_PER_ADDRESS=${CAP}, the other bounds at their defaults`
        }`,
    )

    const until = Date.now() + DURATION * 1000
    const attack: Attack = { opened: 0, refused: 0, cut: [], failed: new Map() }
    const probes: Probes = { latencies: [], failed: new Map(), longestOutage: 0 }
    const samples: Record<string, number>[] = []
    const attackers = Array.from({ length: ATTACKERS }, () => slowBodyLoop(Number(port), until, attack))
    const prober = probeLoop(Number(port), token, until, probes)
    const watcher = watchLoop(base, until, samples)
    await Promise.all([...attackers, prober, watcher])
    await watchLoop(base, Date.now() + 1, samples) // the counters once more, the attack over

    const last = samples.at(-1) ?? {}
    const maxOf = (name: string) => Math.max(0, ...samples.map((s) => s[name] ?? 0))
    const line = (name: string, value: string) => console.log(`  ${name.padEnd(44)} ${value}`)
    console.log('\nattack (from 127.0.0.1)')
    line('connections opened', int(attack.opened))
    line('closed unanswered (refused)', int(attack.refused))
    const cut = [...attack.cut].sort((a, b) => a - b)
    line(
      'answered 408 (cut off)',
      `${int(cut.length)}${cut.length ? `, after ${(quantile(cut, 0.5) / 1000).toFixed(1)} s (median)` : ''}`,
    )
    line('connects failed', describe(attack.failed))
    console.log('\ninstance (its /metrics, read from 127.0.0.3 once a second)')
    line('most connections open (http_connections_open)', samples.length ? int(maxOf('open')) : 'never read')
    line('refused per address', int(last.per_address ?? 0))
    line('refused at MAX_CONNECTIONS', int(last.max_connections ?? 0))
    line('failed accepts (http_accept_errors_total)', int(last.accept_errors ?? 0))
    line('body time-outs (phase="body")', int(last.body_timeouts ?? 0))
    line('/metrics reads that failed', int(Math.max(0, DURATION + 1 - samples.length)))
    const lat = [...probes.latencies].sort((a, b) => a - b)
    const total = lat.length + [...probes.failed.values()].reduce((a, b) => a + b, 0)
    console.log(`\nGET /api/me from ${PROBER}, a fresh connection every ${PROBE_EVERY_MS} ms`)
    line('answered 200', `${int(lat.length)} of ${int(total)}`)
    line('failed', describe(probes.failed))
    line('longest run of failures', `${(probes.longestOutage / 1000).toFixed(1)} s`)
    line(
      'latency p50 / p99 / max',
      `${ms(quantile(lat, 0.5))} / ${ms(quantile(lat, 0.99))} / ${ms(lat.at(-1) ?? Number.NaN)}`,
    )
  } finally {
    await deploy.stop()
  }
}

const describe = (m: Map<string, number>) =>
  m.size === 0 ? '0' : [...m].map(([k, n]) => `${int(n)} ${k}`).join(', ')

/** One attacker: a slow body, again and again until the end. */
async function slowBodyLoop(port: number, until: number, a: Attack): Promise<void> {
  while (Date.now() < until) {
    const outcome = await slowBody(port, until, a)
    if (outcome !== 'cut') await sleep(RETRY_MS)
  }
}

function slowBody(port: number, until: number, a: Attack): Promise<'refused' | 'cut' | 'failed' | 'ended'> {
  return new Promise((resolve) => {
    const started = Date.now()
    let answer = ''
    let connected = false
    let timer: NodeJS.Timeout | undefined
    const end = setTimeout(() => socket.destroy(), Math.max(0, until - Date.now()))
    const socket = connect({ port, host: '127.0.0.1', localAddress: ATTACKER }, () => {
      connected = true
      a.opened++
      socket.write(
        'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{',
      )
      timer = setInterval(() => socket.writable && socket.write(' '), INTERVAL * 1000)
    })
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => {
      answer += d
    })
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected) tally(a.failed, err.code ?? 'error')
    })
    socket.on('close', () => {
      clearInterval(timer)
      clearTimeout(end)
      if (!connected) return resolve('failed')
      if (Date.now() >= until) return resolve('ended')
      if (answer.startsWith('HTTP/1.1 408')) {
        a.cut.push(Date.now() - started)
        return resolve('cut')
      }
      a.refused++
      resolve('refused')
    })
  })
}

async function probeLoop(port: number, token: string, until: number, p: Probes): Promise<void> {
  let failingSince: number | undefined
  while (Date.now() < until) {
    const next = Date.now() + PROBE_EVERY_MS
    const started = performance.now()
    const outcome = await probe(port, token)
    if (outcome === 200) {
      p.latencies.push(performance.now() - started)
      if (failingSince !== undefined) p.longestOutage = Math.max(p.longestOutage, Date.now() - failingSince)
      failingSince = undefined
    } else {
      tally(p.failed, String(outcome))
      failingSince ??= Date.now()
    }
    await sleep(Math.max(0, next - Date.now()))
  }
  if (failingSince !== undefined) p.longestOutage = Math.max(p.longestOutage, Date.now() - failingSince)
}

/** One GET /api/me on a connection of its own: the status, or the error's code. */
function probe(port: number, token: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        localAddress: PROBER,
        path: '/api/me',
        agent: false,
        headers: { authorization: `Bearer ${token}`, connection: 'close' },
        timeout: PROBE_TIMEOUT_MS,
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
        res.on('error', () => resolve('aborted'))
      },
    )
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })))
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'))
    req.end()
  })
}

/** /metrics once a second, from an address of its own; the figures of each read. */
async function watchLoop(base: string, until: number, into: Record<string, number>[]): Promise<void> {
  const read = (text: string, re: RegExp) => Number(re.exec(text)?.[1] ?? 0)
  while (Date.now() < until) {
    const next = Date.now() + 1000
    const text = await metricsFrom(base).catch(() => null)
    if (text !== null) {
      into.push({
        open: read(text, /^http_connections_open (\d+)/m),
        per_address: read(text, /^http_connections_refused_total\{reason="per_address"\} (\d+)/m),
        max_connections: read(text, /^http_connections_refused_total\{reason="max_connections"\} (\d+)/m),
        accept_errors: [...text.matchAll(/^http_accept_errors_total\{[^}]*\} (\d+)/gm)].reduce(
          (sum, m) => sum + Number(m[1]),
          0,
        ),
        body_timeouts: read(text, /^http_request_timeouts_total\{phase="body"\} (\d+)/m),
      })
    }
    await sleep(Math.max(0, next - Date.now()))
  }
}

function metricsFrom(base: string): Promise<string> {
  const { port } = new URL(base)
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        localAddress: WATCHER,
        path: '/metrics',
        agent: false,
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
        timeout: 900,
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => {
          text += d
        })
        res.on('end', () =>
          res.statusCode === 200 ? resolve(text) : reject(new Error(String(res.statusCode))),
        )
      },
    )
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end()
  })
}

await main()
