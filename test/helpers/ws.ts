// A raw WebSocket test client: frames are collected as they come, and tests wait for the ones
// they expect. Raw on purpose: the protocol itself is under test here (the client package has its own).
import type { Test } from 'tap'
import WebSocket from 'ws'
import type { App } from '../../src/app.ts'

export interface Frame {
  type: string
  [k: string]: any
}

export class RawSocket {
  readonly frames: Frame[] = []
  closed: { code: number; reason: string } | null = null
  private waiters: (() => void)[] = []

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(String(data)))
      this.wake()
    })
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) }
      this.wake()
    })
  }

  send(frame: object | string): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  /** Resolves with the first frame (from `from` on) that matches, or rejects after `ms`. */
  async next(match: (f: Frame) => boolean, ms = 5000, from = 0): Promise<Frame> {
    const deadline = Date.now() + ms
    for (;;) {
      const found = this.frames.slice(from).find(match)
      if (found) return found
      if (this.closed)
        throw new Error(`socket closed ${this.closed.code} ${this.closed.reason} while waiting`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out; frames: ${JSON.stringify(this.frames.slice(-5))}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  /** Waits until `count` frames of the type have arrived; returns them. */
  async collect(type: string, count: number, ms = 10_000): Promise<Frame[]> {
    const deadline = Date.now() + ms
    while (this.frames.filter((f) => f.type === type).length < count) {
      if (Date.now() > deadline)
        throw new Error(`only ${this.frames.filter((f) => f.type === type).length}/${count} ${type} frames`)
      if (this.closed) throw new Error(`socket closed ${this.closed.code} while collecting`)
      await new Promise((r) => setTimeout(r, 10))
    }
    return this.frames.filter((f) => f.type === type)
  }

  messages(room?: string): Frame[] {
    return this.frames
      .filter((f) => f.type === 'message' && (!room || f.message.room === room))
      .map((f) => f.message)
  }

  async waitClosed(ms = 5000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + ms
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    if (!this.closed) throw new Error('still open')
    return this.closed
  }

  close(): void {
    this.ws.close()
  }

  private wake(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }
}

/** The base ws:// URL of a listening app. */
export async function listen(app: App): Promise<string> {
  if (!app.server.listening) await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  return `ws://127.0.0.1:${port}/ws`
}

/** Opens a socket; rejects with the HTTP status when the upgrade is refused. */
export function connect(
  url: string,
  options: { token?: string; headers?: Record<string, string> } = {},
): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers },
    })
    const raw = new RawSocket(ws)
    ws.once('open', () => resolve(raw))
    ws.once('unexpected-response', (_req, res) =>
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })),
    )
    ws.once('error', reject)
  })
}

/** Opens sockets as a user for the test; every one it opened is closed when the test ends. */
export function socketOpener(t: Test): (url: string, who: { token: string }) => Promise<RawSocket> {
  const sockets: RawSocket[] = []
  t.teardown(() => {
    for (const s of sockets) s.close()
  })
  return async (url, who) => {
    const s = await connect(url, { token: who.token })
    sockets.push(s)
    return s
  }
}

/** Joins a room on the socket (from `since` when given); resolves with its `joined` frame. */
export function joinRoom(s: RawSocket, room: string, since?: number): Promise<Frame> {
  const from = s.frames.length
  s.send(since === undefined ? { type: 'join', room } : { type: 'join', room, since })
  return s.next((f) => f.type === 'joined' && f.room === room, 5000, from)
}
