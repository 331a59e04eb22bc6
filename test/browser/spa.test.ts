// A real browser against the real server: a scratch SPA installs the packed client, bundles
// it, and in headless Chromium (Debian's, driven by playwright-core)
// - logs in cross-site (page on localhost, API on 127.0.0.1: another site) with the Bearer token
//   and a ws ticket, where the SameSite=Lax cookie is dropped, as it must be;
// - logs in same-site (page and API both on localhost, other ports) with the cookie alone;
// - chats live between two pages (two browser contexts, two users), uploads with progress,
//   and resumes after the server drops every socket, with no gap and no repeat.
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { build } from 'esbuild'
import { type Browser, chromium, type Page } from 'playwright-core'
import t, { type Test } from 'tap'
import {
  type Server as ApiServer,
  admin,
  backendName,
  relaxed,
  startServer,
  user,
} from '../client/fixtures/setup.ts'
import { sharedEnv } from '../helpers/app.ts'
import { SPA_TSCONFIG, scratchProject, typecheck } from '../helpers/pack.ts'
import { needProgram } from '../helpers/servers.ts'

const CHROMIUM = '/usr/bin/chromium'
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** The SPA: window.app drives the client; the test calls it through page.evaluate. */
const MAIN = `
import { ChatHttp, ChatSocket, type Message, type SocketState } from '@roomchat/client'

interface Start { base: string; mode: 'bearer' | 'cookie'; username: string; password: string; room: string }

const seen: Message[] = []
const states: SocketState[] = []
let http: ChatHttp | null = null
let socket: ChatSocket | null = null
let room = ''

async function start(o: Start): Promise<{ token: string | null; cookieAlone: number }> {
  room = o.room
  http = new ChatHttp(o.mode === 'cookie' ? { baseUrl: o.base, auth: 'cookie' } : { baseUrl: o.base })
  await http.login({ username: o.username, password: o.password })
  await http.joinRoom(room)
  // What the cookie alone gets from this page: 200 same-site, 401 cross-site (dropped).
  const cookieAlone = (await fetch(o.base + '/api/me', { credentials: 'include' })).status
  socket = new ChatSocket({ ...http.socketOptions(), backoff: { initialMs: 100, maxMs: 1000 } })
  socket.on('message', (m) => seen.push(m))
  socket.on('state', (s) => states.push(s))
  await socket.connect()
  await socket.join(room)
  return { token: http.token ?? null, cookieAlone }
}

async function send(text: string): Promise<number> {
  return (await socket!.send(room, text)).seq
}

async function upload(size: number): Promise<{ progress: number[]; name: string; size: number }> {
  const progress: number[] = []
  const answer = await http!.uploadFile(room, new Blob([new Uint8Array(size)]), {
    name: 'notes.bin',
    onProgress: (p) => progress.push(p.loaded),
  })
  return { progress, name: answer.file.name, size: answer.file.size }
}

;(window as unknown as { app: unknown }).app = {
  start,
  send,
  upload,
  texts: () => seen.filter((m) => m.kind === 'text').map((m) => m.text),
  seqs: () => seen.map((m) => m.seq),
  states: () => [...states],
}
`

const INDEX =
  '<!doctype html><meta charset="utf-8"><title>spa</title><script type="module" src="/app.js"></script>'

/** window.app of the SPA. Written out in every page.evaluate: those functions run in the page. */
interface AppHandle {
  start(o: {
    base: string
    mode: 'bearer' | 'cookie'
    username: string
    password: string
    room: string
  }): Promise<{
    token: string | null
    cookieAlone: number
  }>
  send(text: string): Promise<number>
  upload(size: number): Promise<{ progress: number[]; name: string; size: number }>
  texts(): string[]
  seqs(): number[]
  states(): string[]
}

/** Serves the bundled SPA on localhost (its own origin, apart from the API's). */
async function serveSpa(t: Test, bundle: string): Promise<string> {
  const server: Server = createServer((req, res) => {
    if (req.url === '/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle)
      return
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end(INDEX)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const { port } = server.address() as { port: number }
  return `http://localhost:${port}`
}

async function openPage(browser: Browser, t: Test, url: string): Promise<Page> {
  const context = await browser.newContext() // a cookie jar of its own: another person
  t.teardown(() => context.close())
  const page = await context.newPage()
  page.on('pageerror', (err) => console.error('page error:', err))
  await page.goto(url)
  await page.waitForFunction(() => Boolean((globalThis as { app?: unknown }).app))
  return page
}

t.test(`the packed client in a real browser on ${backendName}`, async (t) => {
  if (!needProgram(t, CHROMIUM, existsSync(CHROMIUM), "Debian's chromium package: apt-get install chromium"))
    return
  const dir = await scratchProject(t, { 'tsconfig.json': SPA_TSCONFIG, 'src/main.ts': MAIN })
  const checked = await typecheck(dir)
  t.ok(checked.ok, checked.output || 'the SPA type-checks with DOM types only')
  const out = join(dir, 'dist/app.js')
  await build({
    entryPoints: [join(dir, 'src/main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    outfile: out,
    logLevel: 'silent',
  })
  const spa = await serveSpa(t, await readFile(out, 'utf8'))

  // The API on 127.0.0.1: the page on localhost is cross-site to it. Same-site tests reach the
  // same server as localhost.
  const api: ApiServer = await startServer(
    t,
    sharedEnv(t, { ...relaxed, CORS_ORIGINS: spa, PUBLIC_ORIGINS: spa }),
  )
  const port = new URL(api.base).port
  const crossSiteBase = `http://127.0.0.1:${port}`
  const sameSiteBase = `http://localhost:${port}`

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
  t.teardown(() => browser.close())

  for (const mode of ['bearer', 'cookie'] as const) {
    t.test(
      mode === 'bearer' ? 'cross-site: Bearer token and ws ticket' : 'same-site: the cookie alone',
      async (t) => {
        const base = mode === 'bearer' ? crossSiteBase : sameSiteBase
        const root = await admin(api)
        const room = await root.http.createRoom({ name: `browser ${mode}`, maxMembers: 10 })
        const alice = await user(api)
        const bob = await user(api)
        const pageA = await openPage(browser, t, spa)
        const pageB = await openPage(browser, t, spa)
        const startAs = (page: Page, who: { username: string }) =>
          page.evaluate((o) => (globalThis as unknown as { app: AppHandle }).app.start(o), {
            base,
            mode,
            username: who.username,
            password: 'password-123',
            room: room.id,
          })
        const [a, b] = [await startAs(pageA, alice), await startAs(pageB, bob)]
        if (mode === 'bearer') {
          t.type(a.token, 'string', 'the token is kept for Bearer')
          t.equal(a.cookieAlone, 401, 'cross-site the browser dropped the SameSite=Lax cookie')
        } else {
          t.equal(a.token, null, 'no token in script')
          t.equal(a.cookieAlone, 200, 'same-site the cookie authenticates')
        }
        t.equal(b.cookieAlone, a.cookieAlone)

        // Live, both ways.
        await pageA.evaluate(() => (globalThis as unknown as { app: AppHandle }).app.send('hello from A'))
        await pageB.waitForFunction(() =>
          (globalThis as unknown as { app: AppHandle }).app.texts().includes('hello from A'),
        )
        await pageB.evaluate(() => (globalThis as unknown as { app: AppHandle }).app.send('hello from B'))
        await pageA.waitForFunction(() =>
          (globalThis as unknown as { app: AppHandle }).app.texts().includes('hello from B'),
        )

        // An upload with progress, seen by the other page as a file message.
        const up = await pageA.evaluate(() =>
          (globalThis as unknown as { app: AppHandle }).app.upload(200_000),
        )
        t.match(up, { name: 'notes.bin', size: 200_000 })
        t.ok(
          up.progress.length > 0 && up.progress.at(-1)! >= 200_000,
          'upload progress reported by the browser',
        )

        // The server drops every socket; meanwhile B's user sends over HTTP. A resumes from its
        // last seq: everything arrives, once, in order.
        for (const ws of api.app.websocketServer.clients) ws.terminate()
        for (let i = 1; i <= 5; i++) await bob.http.sendMessage(room.id, `missed ${i}`)
        await pageA.waitForFunction(
          () => (globalThis as unknown as { app: AppHandle }).app.texts().includes('missed 5'),
          undefined,
          { timeout: 20_000 },
        )
        await pageA.evaluate(() => (globalThis as unknown as { app: AppHandle }).app.send('after the drop'))
        await pageB.waitForFunction(
          () => (globalThis as unknown as { app: AppHandle }).app.texts().includes('after the drop'),
          undefined,
          {
            timeout: 20_000,
          },
        )
        const seqs = await pageA.evaluate(() => (globalThis as unknown as { app: AppHandle }).app.seqs())
        t.same(
          seqs,
          Array.from({ length: seqs.length }, (_, i) => i + 1),
          'A saw seqs 1..n: no gap, no repeat',
        )
        t.same(await pageA.evaluate(() => (globalThis as unknown as { app: AppHandle }).app.texts()), [
          'hello from A',
          'hello from B',
          'missed 1',
          'missed 2',
          'missed 3',
          'missed 4',
          'missed 5',
          'after the drop',
        ])
        const states = await pageA.evaluate(() => (globalThis as unknown as { app: AppHandle }).app.states())
        t.ok(states.includes('reconnecting'), `A reconnected (${states.join(' → ')})`)
      },
    )
  }
})
