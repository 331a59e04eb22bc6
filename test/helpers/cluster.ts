// Real processes for the multi-instance tests: the server's entry point as production runs it
// (`node --import tsx src/server.ts`), a Redis server of a test's own (to restart it without
// disturbing other test files), a small HTTP caller over fetch, and a chat client that behaves as
// a careful real client does: it reconnects to another instance when its socket drops, re-joins
// with `since` = the last seq it saw, and retries unacked sends with the same clientMsgId.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MongoClient } from 'mongodb'
import type { Test } from 'tap'
import WebSocket from 'ws'
import { ADMIN } from './app.ts'
import { isolatedMongoUrl, mongoUrl, uniquePrefix } from './servers.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** Every child started here, killed when the test process exits however it exits. */
const children = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Waits until `check` is true, polling; throws `what` (with the time waited) after `ms`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const started = Date.now()
  for (;;) {
    if (await check()) return
    if (Date.now() - started > ms) throw new Error(`timed out after ${ms} ms: ${what}`)
    await sleep(25)
  }
}

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })

export const tempDir = (name: string) => mkdtempSync(join(tmpdir(), `roomchat-${name}-`))
export const removeDir = (dir: string) => rmSync(dir, { recursive: true, force: true })

interface Child {
  child: ChildProcess
  /** The last 256 KiB of what it printed. */
  output(): string
  exited: Promise<number | null>
}

function startChild(command: string, args: string[], env: Record<string, string>): Child {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  let out = ''
  const keep = (d: Buffer) => {
    out += d
    if (out.length > 512 * 1024) out = out.slice(-256 * 1024)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      children.delete(child)
      resolve(code)
    }),
  )
  child.on('error', () => {}) // a spawn failure also shows as an exit
  return { child, output: () => out, exited }
}

async function stopChild(c: Child, signal: NodeJS.Signals): Promise<void> {
  if (c.child.exitCode !== null || c.child.signalCode !== null) return
  c.child.kill(signal)
  await c.exited
}

// ------------------------------------------------------------------------------------ server

export class ServerProcess {
  private proc: Child
  readonly base: string
  readonly wsUrl: string

  constructor(
    readonly name: string,
    readonly port: number,
    env: Record<string, string>,
  ) {
    this.base = `http://127.0.0.1:${port}`
    this.wsUrl = `ws://127.0.0.1:${port}/ws`
    this.proc = startChild(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    })
  }

  get alive(): boolean {
    return this.proc.child.exitCode === null && this.proc.child.signalCode === null
  }

  output(): string {
    return this.proc.output()
  }

  /** Resolves when /readyz answers 200 (store and bus reachable). */
  async ready(ms = 90_000): Promise<void> {
    const deadline = Date.now() + ms
    while (Date.now() < deadline) {
      if (!this.alive) break
      try {
        const res = await fetch(`${this.base}/readyz`)
        if (res.ok) return
      } catch {}
      await sleep(100)
    }
    throw new Error(`${this.name} did not become ready:\n${this.output().slice(-4000)}`)
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    return stopChild(this.proc, signal)
  }

  /** Resolves with the exit code once the process has exited (null when a signal ended it). */
  exited(): Promise<number | null> {
    return this.proc.exited
  }
}

// ------------------------------------------------------------------------------------ redis

/** Whether `redis-server` can be run here. */
export function haveRedisServer(): boolean {
  const r = spawnSync('redis-server', ['--version'], { stdio: 'ignore' })
  return r.status === 0
}

/** A Redis server of one test's own, on a fixed loopback port, that can be stopped and started again. */
export class RedisProcess {
  private proc: Child | null = null
  readonly url: string

  constructor(readonly port: number) {
    this.url = `redis://127.0.0.1:${port}`
  }

  async start(ms = 20_000): Promise<void> {
    const proc = startChild(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {},
    )
    this.proc = proc
    const deadline = Date.now() + ms
    while (Date.now() < deadline) {
      if (proc.child.exitCode !== null) break
      if (await redisPing(this.port)) return
      await sleep(50)
    }
    throw new Error(`redis-server on ${this.port} did not start:\n${proc.output().slice(-2000)}`)
  }

  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.proc) await stopChild(this.proc, signal)
    this.proc = null
  }
}

/** True when a Redis server answers PING on the port. */
function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (d) => done(String(d).startsWith('+PONG')))
  })
}

// ------------------------------------------------------------------------------------ http

export interface HttpAnswer<T = any> {
  status: number
  body: T
}

/** One JSON call to an instance, authenticated with a Bearer token when given. */
export async function http<T = any>(
  base: string,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = {}
  if (options.token) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(base + path, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  })
  const text = await res.text()
  let body: any = text
  try {
    body = text ? JSON.parse(text) : null
  } catch {}
  return { status: res.status, body }
}

/** Like `http`, but throws unless the status is the expected one. */
export async function expectHttp<T = any>(
  status: number,
  base: string,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<T> {
  const res = await http<T>(base, method, path, options)
  if (res.status !== status)
    throw new Error(`${method} ${path}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`)
  return res.body
}

// ------------------------------------------------------------------------------------ chat client

export interface Received {
  seq: number
  id: string
  text: string
  from: string | null
  clientMsgId?: string
}

interface PendingSend {
  text: string
  resolve: (seq: number) => void
  /** When it was last written to a socket (0: not yet). */
  sentAt: number
}

/** Error codes after which a send is simply tried again (an outage, a limit). */
/** The instances serve /metrics with this Bearer token (off the API port without one). */
export const METRICS_TOKEN = 'cluster-metrics-token-0123456789'

const RETRYABLE = new Set(['INTERNAL', 'RATE_LIMITED', 'UNAVAILABLE'])
/** An unacked send on a live socket is written again after this long (the server dedupes it). */
const RESEND_MS = 15_000

/**
 * A client of one room over the raw protocol. It follows the room from seq 1 and records every
 * message frame it gets, in arrival order, so a test can check that it saw exactly 1..N.
 */
export class ChatClient {
  readonly received: Received[] = []
  /** Presence frames of the room, with when they came. */
  readonly presence: { at: number; online: string[] }[] = []
  /** Close codes of sockets that had opened. */
  readonly closes: number[] = []
  /** Frames or errors a well-behaved client should never see. */
  readonly problems: string[] = []
  readonly acks = new Map<string, number>()
  /** Send errors that were retried, by code. */
  readonly retried = new Map<string, number>()
  lastSeq = 0
  reconnects = 0
  resends = 0
  /** The URL of the instance it is connected to, null while it is not. */
  current: string | null = null
  private ws: WebSocket | null = null
  private live = false
  private stopped = false
  private index: number
  private readonly pending = new Map<string, PendingSend>()
  private readonly watchdog: NodeJS.Timeout

  constructor(
    readonly name: string,
    readonly userId: string,
    private readonly token: string,
    readonly room: string,
    private readonly urls: string[],
    start: number,
    private readonly reconnect = true,
  ) {
    this.index = start
    this.watchdog = setInterval(() => {
      const now = Date.now()
      for (const [cid, p] of this.pending) {
        if (this.live && p.sentAt > 0 && now - p.sentAt > RESEND_MS) {
          this.resends++
          this.transmit(cid)
        }
      }
    }, 1000)
    this.watchdog.unref()
  }

  get isLive(): boolean {
    return this.live
  }

  get unacked(): number {
    return this.pending.size
  }

  /** The online list of the room as last told (joined or presence). */
  get online(): string[] {
    return this.presence[this.presence.length - 1]?.online ?? []
  }

  /** Connects and joins; resolves once joined. */
  async start(ms = 30_000): Promise<void> {
    this.open()
    await until(() => this.live, ms, `${this.name} joined`)
  }

  /** Sends a message; resolves with its seq once acked, however many reconnects that takes. */
  send(clientMsgId: string, text: string): Promise<number> {
    return new Promise((resolve) => {
      this.pending.set(clientMsgId, { text, resolve, sentAt: 0 })
      this.transmit(clientMsgId)
    })
  }

  /** Sends a raw frame on the current socket (for typing notices and the like). */
  frame(frame: object): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame))
  }

  stop(): void {
    this.stopped = true
    clearInterval(this.watchdog)
    this.ws?.terminate()
  }

  private open(): void {
    if (this.stopped) return
    const url = this.urls[this.index % this.urls.length]!
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${this.token}` },
      handshakeTimeout: 10_000,
    })
    this.ws = ws
    let opened = false
    ws.on('open', () => {
      opened = true
      this.current = url
      this.join()
    })
    ws.on('message', (data) => {
      if (this.ws === ws) this.onFrame(JSON.parse(String(data)))
    })
    ws.on('error', () => {}) // a close follows
    ws.on('close', (code) => {
      if (this.ws !== ws) return
      this.ws = null
      this.live = false
      this.current = null
      if (opened) this.closes.push(code)
      if (this.stopped || !this.reconnect) return
      // Somewhere else next: the instance may be gone.
      this.reconnects++
      this.index++
      setTimeout(() => this.open(), opened ? 50 : 200)
    })
  }

  private join(): void {
    this.frame({ type: 'join', room: this.room, since: this.lastSeq })
  }

  private transmit(cid: string): void {
    const p = this.pending.get(cid)
    if (!p || !this.live || this.ws?.readyState !== WebSocket.OPEN) return
    p.sentAt = Date.now()
    this.ws.send(JSON.stringify({ type: 'send', room: this.room, clientMsgId: cid, text: p.text }))
  }

  private onFrame(f: any): void {
    switch (f.type) {
      case 'joined':
        if (f.room !== this.room) return void this.problems.push(`joined another room ${f.room}`)
        this.live = true
        this.presence.push({ at: Date.now(), online: f.online })
        for (const cid of this.pending.keys()) this.transmit(cid)
        return
      case 'message': {
        const m = f.message
        if (m.room !== this.room) return void this.problems.push(`message of another room ${m.room}`)
        this.received.push({
          seq: m.seq,
          id: m.id,
          text: m.text,
          from: m.from?.id ?? null,
          ...(m.clientMsgId ? { clientMsgId: m.clientMsgId } : {}),
        })
        if (m.seq > this.lastSeq) this.lastSeq = m.seq
        return
      }
      case 'ack': {
        const p = this.pending.get(f.clientMsgId)
        const before = this.acks.get(f.clientMsgId)
        if (before !== undefined && before !== f.seq)
          this.problems.push(`${f.clientMsgId} acked as ${before} and as ${f.seq}`)
        this.acks.set(f.clientMsgId, f.seq)
        if (p) {
          this.pending.delete(f.clientMsgId)
          p.resolve(f.seq)
        }
        return
      }
      case 'error': {
        if (typeof f.ref === 'string' && this.pending.has(f.ref) && RETRYABLE.has(f.code)) {
          this.retried.set(f.code, (this.retried.get(f.code) ?? 0) + 1)
          const p = this.pending.get(f.ref)!
          p.sentAt = 0
          setTimeout(() => this.transmit(f.ref), 300)
          return
        }
        if (f.ref === this.room && RETRYABLE.has(f.code)) {
          // The join failed (an outage): join again on the same socket.
          this.retried.set(`join ${f.code}`, (this.retried.get(`join ${f.code}`) ?? 0) + 1)
          const ws = this.ws
          setTimeout(() => {
            if (this.ws === ws && !this.live) this.join()
          }, 300)
          return
        }
        this.problems.push(`error frame ${JSON.stringify(f)}`)
        return
      }
      case 'presence':
        if (f.room === this.room) this.presence.push({ at: Date.now(), online: f.online })
        return
      case 'typing':
      case 'room':
      case 'pong':
        return
      default:
        this.problems.push(`unexpected frame ${JSON.stringify(f).slice(0, 200)}`)
    }
  }
}

/**
 * What every client of a room must have seen: each seq 1..n exactly once, in order, the same
 * message (id, text, sender) for a seq on every client. Returns the problems found (none: []).
 */
export function deliveryProblems(clients: ChatClient[], n: number): string[] {
  const problems: string[] = []
  const canonical = new Map<number, Received>()
  for (const c of clients) {
    const seqs = c.received.map((m) => m.seq)
    const bad = seqs.findIndex((s, i) => s !== i + 1)
    if (bad >= 0 || seqs.length !== n) {
      const at = bad >= 0 ? bad : Math.min(seqs.length, n)
      problems.push(
        `${c.name}: ${seqs.length} messages for seqs 1..${n}; first difference at #${at + 1}: ` +
          `got ${JSON.stringify(seqs.slice(Math.max(0, at - 3), at + 4))}`,
      )
    }
    for (const m of c.received) {
      const first = canonical.get(m.seq)
      if (!first) canonical.set(m.seq, m)
      else if (first.id !== m.id || first.text !== m.text || first.from !== m.from)
        problems.push(`${c.name}: seq ${m.seq} is ${JSON.stringify(m)}, elsewhere ${JSON.stringify(first)}`)
    }
  }
  return problems
}

// ------------------------------------------------------------------------------------ nginx

/** Debian's nginx (in /usr/sbin, often not on a user's PATH) or one on PATH; null when there is none. */
export function findNginx(): string | null {
  const dirs = ['/usr/sbin', ...(process.env.PATH ?? '').split(':').filter(Boolean)]
  for (const dir of dirs) {
    const binary = join(dir, 'nginx')
    if (existsSync(binary) && spawnSync(binary, ['-v'], { stdio: 'ignore' }).status === 0) return binary
  }
  return null
}

/**
 * nginx in front of local instances with the project's own deploy/nginx.conf: a copy of it in a
 * directory of its own (listening on a loopback port instead of 8080, with temp paths there),
 * beside an nginx.upstream.conf that is the real one with the compose services replaced by the
 * instances' loopback ports (least_conn, max_fails and keepalive stay as they are). The files in
 * deploy/ are not touched. It runs in the foreground as one process (master_process off), so that
 * killing it leaves no worker behind.
 */
export class NginxProcess {
  readonly base: string
  readonly wsUrl: string
  private proc: Child | null = null

  constructor(
    readonly binary: string,
    readonly dir: string,
    readonly port: number,
    upstreamPorts: number[],
  ) {
    this.base = `http://127.0.0.1:${port}`
    this.wsUrl = `ws://127.0.0.1:${port}/ws`
    const conf = readFileSync(join(ROOT, 'deploy/nginx.conf'), 'utf8')
    const listen = /^(\s*)listen\s+8080\s*;/gm
    if ((conf.match(listen) ?? []).length !== 1)
      throw new Error('deploy/nginx.conf has no single `listen 8080;` line: update NginxProcess')
    if ((conf.match(/^http\s*\{/gm) ?? []).length !== 1)
      throw new Error('deploy/nginx.conf has no single `http {` block: update NginxProcess')
    // Relative paths are resolved against the prefix (-p dir).
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
      .map((kind) => `  ${kind}_temp_path temp/${kind};`)
      .join('\n')
    // /dev/stdout cannot be opened on the socket Node gives a child for its output: a file here.
    const ours = conf
      .replace(listen, `$1listen 127.0.0.1:${port};`)
      .replace(/access_log\s+\/dev\/stdout/g, 'access_log access.log')
      .replace(/^http\s*\{/m, `http {\n  # temp paths of this test's own\n${temp}\n`)

    const upstream = readFileSync(join(ROOT, 'deploy/nginx.upstream.conf'), 'utf8')
    const server = /^(\s*)server\s+[\w.-]+:\d+/gm
    const servers = upstream.match(server) ?? []
    if (servers.length !== upstreamPorts.length)
      throw new Error(
        `deploy/nginx.upstream.conf lists ${servers.length} servers, the test runs ${upstreamPorts.length}`,
      )
    let i = 0
    const local = upstream.replace(
      server,
      (_, indent: string) => `${indent}server 127.0.0.1:${upstreamPorts[i++]}`,
    )

    mkdirSync(join(dir, 'temp'), { recursive: true })
    writeFileSync(join(dir, 'nginx.conf'), ours)
    writeFileSync(join(dir, 'nginx.upstream.conf'), local)
    // Readable by nginx's workers should they run as another user.
    chmodSync(dir, 0o755)
  }

  get alive(): boolean {
    return this.proc !== null && this.proc.child.exitCode === null && this.proc.child.signalCode === null
  }

  output(): string {
    const log = join(this.dir, 'error.log')
    const errors = existsSync(log) ? readFileSync(log, 'utf8').slice(-4000) : ''
    return `${this.proc?.output().slice(-4000) ?? ''}\n--- error.log:\n${errors}`
  }

  /** Checks the configuration (`nginx -t`); throws with nginx's words when it is refused. */
  test(): void {
    const r = spawnSync(this.binary, [...this.args(), '-t'], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`nginx -t refused the configuration:\n${r.stderr}${r.stdout}`)
  }

  /** Starts nginx in the foreground; resolves once it answers /nginx-health. */
  async start(ms = 20_000): Promise<void> {
    const proc = startChild(this.binary, this.args(), {})
    this.proc = proc
    const deadline = Date.now() + ms
    while (Date.now() < deadline) {
      if (!this.alive) break
      try {
        const res = await fetch(`${this.base}/nginx-health`)
        if (res.ok) return
      } catch {}
      await sleep(50)
    }
    throw new Error(`nginx did not start:\n${this.output()}`)
  }

  async stop(): Promise<void> {
    if (this.proc) await stopChild(this.proc, 'SIGTERM')
    this.proc = null
  }

  private args(): string[] {
    const d = this.dir
    return [
      '-p',
      `${d}/`,
      '-c',
      join(d, 'nginx.conf'),
      '-e',
      join(d, 'error.log'),
      '-g',
      `daemon off; master_process off; pid ${join(d, 'nginx.pid')}; error_log ${join(d, 'error.log')} warn;`,
    ]
  }
}

/**
 * A deployment of real server processes (three by default) over a MongoDB database of its own
 * (dropped afterwards) and the given Redis, with the abuse limits raised and argon2 cheap so
 * that tests spend their time on what they test. Resolves once every instance is ready.
 */
export async function startCluster(
  t: Test,
  name: string,
  redis: string,
  extra: Record<string, string> = {},
  count = 3,
): Promise<{ servers: ServerProcess[]; outputs: () => string }> {
  const mongo = isolatedMongoUrl(mongoUrl!)
  t.teardown(async () => {
    const client = new MongoClient(mongo)
    await client
      .db()
      .dropDatabase()
      .catch(() => {})
    await client.close()
  })
  const env = {
    MONGODB_URL: mongo,
    REDIS_URL: redis,
    REDIS_PREFIX: uniquePrefix(),
    JWT_SECRET: `${name}-test-secret-0123456789-0123456789`,
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    LOG_LEVEL: 'warn',
    METRICS_TOKEN,
    RATE_LOGIN_IP: '100000',
    RATE_LOGIN_USER: '100000',
    RATE_LOGIN_USER_IP: '100000',
    RATE_REGISTER_IP: '100000',
    RATE_POST_USER: '100000',
    RATE_MESSAGE_USER: '100000',
    WS_FRAMES_PER_SECOND: '1000',
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    ...extra,
  }
  const servers: ServerProcess[] = []
  for (let i = 0; i < count; i++) {
    const dataDir = tempDir(`${name}${i}`)
    t.teardown(() => removeDir(dataDir))
    servers.push(new ServerProcess(`instance ${i}`, await freePort(), { ...env, DATA_DIR: dataDir }))
  }
  t.teardown(() => Promise.all(servers.map((s) => s.kill('SIGKILL'))))
  const startedAt = Date.now()
  await Promise.all(servers.map((s) => s.ready()))
  t.comment(`${count} instances ready in ${Date.now() - startedAt} ms`)
  const outputs = () =>
    servers
      .map((s) => `--- ${s.name} (${s.alive ? 'alive' : 'dead'}):\n${s.output().slice(-3000)}`)
      .join('\n')
  return { servers, outputs }
}

export interface SeededUser {
  name: string
  token: string
  id: string
  /** The instance the user registered on, and whose socket it opens first. */
  home: number
}

/**
 * Users registered over HTTP across the instances (user i on instance i % n), a room created by
 * the admin on `roomOn`, and every user joined to it from its own instance.
 */
export async function seedRoom(
  bases: string[],
  names: string[],
  roomName: string,
  roomOn = 0,
): Promise<{ admin: { token: string }; users: SeededUser[]; room: { id: string } }> {
  const admin = await expectHttp(200, bases[0]!, 'POST', '/api/auth/login', { body: ADMIN })
  const { codes } = await expectHttp(201, bases[1 % bases.length]!, 'POST', '/api/admin/invite-codes', {
    token: admin.token,
    body: { count: names.length },
  })
  const users = await Promise.all(
    names.map(async (name, i) => {
      const res = await expectHttp(201, bases[i % bases.length]!, 'POST', '/api/auth/register', {
        body: { username: `${name}${process.pid}`, password: 'password-123', inviteCode: codes[i].code },
      })
      return { name, token: res.token as string, id: res.user.id as string, home: i % bases.length }
    }),
  )
  const { room } = await expectHttp(201, bases[roomOn]!, 'POST', '/api/rooms', {
    token: admin.token,
    body: { name: roomName },
  })
  for (const u of users) await expectHttp(200, bases[u.home]!, 'POST', `/api/rooms/${room.id}/join`, u)
  return { admin, users, room }
}

/**
 * Waits (up to 45 s) until every client has received the room's `n` messages, lets a stray
 * duplicate show, and returns what `deliveryProblems` finds ([] when all is well).
 */
export async function settledDelivery(
  t: Test,
  clients: ChatClient[],
  n: number,
  label: string,
): Promise<string[]> {
  await until(
    () => clients.every((c) => c.received.length >= n),
    45_000,
    `${label}: every client has ${n} messages (${clients.map((c) => `${c.name} ${c.received.length}`).join(', ')})`,
  ).catch((err) => t.fail(String(err)))
  await sleep(300) // time for a duplicate, if any, to show
  return deliveryProblems(clients, n)
}
