// What the benchmarks share: CLI flags, starting server instances as child processes (the real
// entry point, embedded or over MongoDB + Redis), preparing users, and figures.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ChatHttp } from '../packages/client/src/index.ts'
import { freePort } from '../test/helpers/ports.ts'
import { sleep } from '../test/helpers/wait.ts'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))

// ---------------------------------------------------------------- flags

/** `--name value` and `--flag` from argv; a repeated name keeps every value. */
export function parseFlags(argv = process.argv.slice(2)): Map<string, string[]> {
  const flags = new Map<string, string[]>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`)
    const eq = arg.indexOf('=')
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2)
    let value = eq > 0 ? arg.slice(eq + 1) : 'true'
    if (eq < 0 && i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) value = argv[++i]!
    flags.set(name, [...(flags.get(name) ?? []), value])
  }
  return flags
}

export function flagNumber(flags: Map<string, string[]>, name: string, fallback: number): number {
  const raw = flags.get(name)?.at(-1)
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} wants a number, got ${raw}`)
  return n
}

/** Lists given as repeated flags or comma-separated. */
export function flagList(flags: Map<string, string[]>, name: string): string[] {
  return (flags.get(name) ?? []).flatMap((v) => v.split(',')).filter(Boolean)
}

export function checkFlags(flags: Map<string, string[]>, known: string[], usage: string): void {
  if (flags.has('help')) {
    console.log(usage)
    process.exit(0)
  }
  for (const name of flags.keys()) {
    if (!known.includes(name)) {
      console.error(`unknown flag --${name}\n\n${usage}`)
      process.exit(2)
    }
  }
}

// ---------------------------------------------------------------- instances

export interface Deployment {
  /** Base HTTP URLs, one per instance. */
  urls: string[]
  admin: { username: string; password: string }
  backend: string
  /** Process ids of the instances this script started (for CPU figures). */
  pids: number[]
  stop: () => Promise<void>
}

export interface StartOptions {
  instances: number
  /** Environment for every instance, over the defaults below. */
  env?: Record<string, string>
  /** Instance output, for when one fails. */
  quiet?: boolean
  /** The instances' descriptor limit (`ulimit -n`, soft and hard: Node raises the soft one to the hard). */
  nofile?: number
}

/**
 * Starts `instances` copies of the real entry point (`node --import tsx src/server.ts`) on
 * loopback ports: embedded (SQLite + in-process bus, one instance only) unless MONGODB_URL and
 * REDIS_URL are set, then scaled over a fresh database and Redis prefix, with a random
 * JWT_SECRET shared by the instances.
 */
export async function startInstances(options: StartOptions): Promise<Deployment> {
  const mongo = process.env.MONGODB_URL
  const redis = process.env.REDIS_URL
  const scaled = Boolean(mongo || redis)
  if (options.instances > 1 && !(mongo && redis)) {
    throw new Error('More than one instance needs MONGODB_URL and REDIS_URL (embedded runs one instance)')
  }
  const stamp = `${Date.now().toString(36)}${process.pid}`
  const admin = { username: 'benchadmin', password: randomBytes(12).toString('hex') }
  const dataDir = mkdtempSync(join(tmpdir(), 'roomchat-bench-'))
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    JWT_SECRET: randomBytes(32).toString('hex'),
    ADMIN_USERNAME: admin.username,
    ADMIN_PASSWORD: admin.password,
    // /metrics exists on the API port only with a token: storeOps reads it with this one.
    METRICS_TOKEN: METRICS_TOKEN,
    // Every bench client connects from 127.0.0.1: the per-address cap would refuse most of them.
    MAX_CONNECTIONS_PER_ADDRESS: '0',
    ...options.env,
  }
  let mongoUrl: string | undefined
  if (mongo) {
    const url = new URL(mongo)
    url.pathname = `/bench_${stamp}`
    mongoUrl = url.toString()
    env.MONGODB_URL = mongoUrl
  }
  if (redis) {
    env.REDIS_URL = redis
    env.REDIS_PREFIX = `bench${stamp}:`
  }

  const children: ChildProcess[] = []
  const urls: string[] = []
  const outputs: string[] = []
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve()
            const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
            child.once('exit', () => {
              clearTimeout(timer)
              resolve()
            })
            child.kill('SIGTERM')
          }),
      ),
    )
    rmSync(dataDir, { recursive: true, force: true })
    if (mongoUrl) await dropDatabase(mongoUrl)
    if (redis && env.REDIS_PREFIX) await dropRedisPrefix(redis, env.REDIS_PREFIX)
  }
  try {
    for (let i = 0; i < options.instances; i++) {
      const port = await freePort()
      // BENCH_CPU_PROF=dir: each instance writes a V8 CPU profile there when it exits.
      // BENCH_NODE_ARGS: more node flags for every instance, e.g. `--perf-basic-prof-only-functions`
      // so Linux `perf` names the JavaScript functions in its samples (on a loaded machine V8's
      // sampling profiler counts the time a process waits for a core as the time of the function
      // it was in; perf counts CPU only), or `--trace-deopt`.
      const prof = [
        ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
        ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      ]
      const node = [process.execPath, ...prof, '--import', 'tsx', 'src/server.ts']
      const [command, ...args] =
        options.nofile === undefined
          ? node
          : ['sh', '-c', `ulimit -n ${Math.floor(options.nofile)} && exec "$@"`, 'sh', ...node]
      const child = spawn(command!, args, {
        cwd: ROOT,
        env: { ...env, PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      children.push(child)
      outputs.push('')
      const keep = (d: Buffer) => {
        outputs[i] = (outputs[i]! + d.toString()).slice(-20_000)
        if (!options.quiet) process.stderr.write(`[instance ${i}] ${d}`)
      }
      child.stdout?.on('data', keep)
      child.stderr?.on('data', keep)
      urls.push(`http://127.0.0.1:${port}`)
      // One at a time: the first creates the admin and the indexes.
      await waitHealthy(urls[i]!, child, () => outputs[i]!)
    }
  } catch (err) {
    await stop()
    throw err
  }
  const backend = scaled
    ? `${mongo ? 'MongoDB wire' : 'SQLite'} + ${redis ? 'Redis' : 'in-process bus'}`
    : 'embedded (SQLite + in-process bus)'
  return { urls, admin, backend, pids: children.map((c) => c.pid!).filter(Boolean), stop }
}

async function waitHealthy(base: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 120_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break
    try {
      const res = await fetch(`${base}/readyz`)
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await sleep(100)
  }
  throw new Error(`instance at ${base} did not come up:\n${output()}`)
}

async function dropDatabase(url: string): Promise<void> {
  const { MongoClient } = await import('mongodb')
  const client = new MongoClient(url)
  try {
    await client.db().dropDatabase()
  } catch {
    // best effort
  } finally {
    await client.close()
  }
}

async function dropRedisPrefix(url: string, prefix: string): Promise<void> {
  const { Redis } = await import('ioredis')
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await redis.connect()
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      cursor = next
      if (keys.length > 0) await redis.del(...keys)
    } while (cursor !== '0')
  } catch {
    // best effort
  } finally {
    redis.disconnect()
  }
}

/** The deployment this run targets: instances it starts, or the URLs given (`--url`). */
export async function deployment(
  flags: Map<string, string[]>,
  instances: number,
  env: Record<string, string>,
): Promise<Deployment> {
  const given = flagList(flags, 'url').map((u) => u.replace(/\/+$/, ''))
  if (given.length === 0) return startInstances({ instances, env, quiet: !flags.has('verbose') })
  const username = process.env.ADMIN_USERNAME
  const password = process.env.ADMIN_PASSWORD
  if (!username || !password)
    throw new Error('--url needs ADMIN_USERNAME and ADMIN_PASSWORD of that deployment')
  return { urls: given, admin: { username, password }, backend: 'given URLs', pids: [], stop: async () => {} }
}

// ---------------------------------------------------------------- data

export interface BenchUser {
  id: string
  username: string
  token: string
  http: ChatHttp
}

/** Registers `count` users through one invite code of the admin, `parallel` at a time, spread over the URLs. */
export async function registerUsers(
  admin: ChatHttp,
  urls: string[],
  count: number,
  parallel = 16,
  prefix = 'u',
): Promise<BenchUser[]> {
  const [invite] = await admin.mintInviteCodes({ count: 1, maxUses: Math.max(1, count) })
  const users: BenchUser[] = new Array(count)
  const tag = Date.now().toString(36).slice(-5)
  let nextIndex = 0
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      for (let i = nextIndex++; i < count; i = nextIndex++) {
        const http = new ChatHttp({ baseUrl: urls[i % urls.length]! })
        const username = `${prefix}${tag}_${i}`
        const answer = await http.register({
          username,
          password: 'bench-password-1',
          inviteCode: invite!.code,
        })
        users[i] = { id: answer.user.id, username, token: answer.token, http }
      }
    }),
  )
  return users
}

// ---------------------------------------------------------------- figures

/** The value at quantile q (0..1) of an ascending array. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[i]!
}

export const ms = (n: number) => (Number.isFinite(n) ? `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms` : 'n/a')
export const int = (n: number) => Math.round(n).toLocaleString('en-US')

/** Process CPU time (user + system) in seconds, from /proc; null where there is no /proc. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[11]) + Number(fields[12])
    return ticks / 100
  } catch {
    return null
  }
}

export { sleep }

/** Resident set size of a process in bytes, from /proc; null where there is no /proc. */
export function rssBytes(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)
    return kb ? Number(kb[1]) * 1024 : null
  } catch {
    return null
  }
}

/** The METRICS_TOKEN of the instances a script starts (or of `--url` targets, from the environment). */
export const METRICS_TOKEN = process.env.METRICS_TOKEN ?? 'bench-metrics-token-0123456789'

/**
 * Store operations an instance has counted so far (the `_count` series of
 * `store_operation_seconds` on /metrics, every repository and operation together), and by
 * repo.op, to tell which ones a workload costs.
 */
export async function storeOps(base: string): Promise<{ total: number; byOp: Map<string, number> }> {
  const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  const text = await res.text()
  const byOp = new Map<string, number>()
  let total = 0
  for (const m of text.matchAll(/^store_operation_seconds_count\{repo="([^"]+)",op="([^"]+)"\} (\d+)/gm)) {
    const n = Number(m[3])
    total += n
    byOp.set(`${m[1]}.${m[2]}`, n)
  }
  return { total, byOp }
}

/** Differences of two `storeOps` readings, largest first. */
export function opsDelta(before: Map<string, number>, after: Map<string, number>): [string, number][] {
  return [...after]
    .map(([k, v]) => [k, v - (before.get(k) ?? 0)] as [string, number])
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1])
}

export interface FloorServer {
  port: number
  pid: number
  stop: () => Promise<void>
}

/**
 * Starts one of the bare floor servers (bench/floor-*.ts) as a child process, the way instances
 * are started, and waits for the port it prints (`listening PORT`).
 */
export function startFloor(script: string, args: string[] = []): Promise<FloorServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', script), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    const stop = () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done()
        child.once('exit', () => done())
        child.kill('SIGTERM')
      })
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before listening`)))
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /listening (\d+)/.exec(out)
      if (m) resolve({ port: Number(m[1]), pid: child.pid!, stop })
    })
  })
}
