// SocketLink: one WebSocket connection of a ChatSocket (a reconnect makes a new one): opening
// it (with a timeout), its keepalive pings, and how it ended: the close code, and the HTTP
// status of a refused upgrade when the platform tells it (the `ws` package does; browsers hide
// it behind close 1006).
import {
  dropSocket,
  frameText,
  OPEN,
  type WebSocketConstructor,
  type WebSocketLike,
} from './websocket-like.ts'

/** The close code this client uses for connections it gives up on (never sent by the server). */
export const GIVE_UP = 4100

export interface SocketLinkEnd {
  code: number
  reason: string
  /** The connection had opened. */
  opened: boolean
  /** The HTTP status that refused the upgrade, when known (401, 403, 503...). */
  status: number | null
}

/** @deprecated Renamed SocketLinkEnd: a connection is a SocketLink. */
export type ConnectionEnd = SocketLinkEnd

export interface SocketLinkHooks {
  opened(): void
  frame(text: string): void
  /** Called once, whatever ended it (never after drop()). */
  ended(end: SocketLinkEnd): void
}

export interface SocketLinkOptions {
  url: string
  /** A single-use ticket, sent as `?ticket=` (a browser cannot send headers at the upgrade). */
  ticket?: string | undefined
  token?: string | undefined
  connectTimeoutMs: number
  /** 0 = no pings. */
  pingIntervalMs: number
}

export class SocketLink {
  readonly ws: WebSocketLike
  private open = false
  private status: number | null = null
  private done = false
  private connectTimer: ReturnType<typeof setTimeout> | null = null
  private pingTimer: ReturnType<typeof setInterval> | null = null
  private lastFrameAt = Date.now()

  constructor(
    Ctor: WebSocketConstructor,
    private readonly options: SocketLinkOptions,
    private readonly hooks: SocketLinkHooks,
  ) {
    const url = options.ticket === undefined ? options.url : withQuery(options.url, 'ticket', options.ticket)
    const ws = options.token
      ? new Ctor(url, undefined, { headers: { authorization: `Bearer ${options.token}` } })
      : new Ctor(url)
    this.ws = ws
    this.connectTimer = setTimeout(() => this.giveUp('connect timeout'), options.connectTimeoutMs)
    ws.onopen = () => {
      if (this.done) return
      this.open = true
      this.clearConnectTimer()
      this.lastFrameAt = Date.now()
      this.startPing()
      hooks.opened()
    }
    ws.onmessage = (event) => {
      if (this.done) return
      this.lastFrameAt = Date.now()
      const text = frameText(event.data)
      if (text !== null) hooks.frame(text)
    }
    ws.onerror = (event) => {
      // `ws` reports a refused upgrade as "Unexpected server response: 401"; a close follows.
      const message = (event as { message?: unknown } | null)?.message
      const status = typeof message === 'string' ? /Unexpected server response: (\d{3})/.exec(message) : null
      if (status) this.status = Number(status[1])
    }
    ws.onclose = (event) => this.end(event.code, event.reason)
  }

  /** Writes a frame if the connection is open; false otherwise. */
  write(frame: string): boolean {
    if (this.done || !this.open || this.ws.readyState !== OPEN) return false
    try {
      this.ws.send(frame)
      return true
    } catch {
      return false
    }
  }

  /** Gives up on the connection at once and reports it ended. */
  giveUp(reason: string): void {
    if (this.done) return
    dropSocket(this.ws, GIVE_UP, reason)
    this.end(GIVE_UP, reason)
  }

  /** Drops the connection without reporting anything (the owner moved on). */
  drop(reason: string): void {
    this.finish()
    dropSocket(this.ws, GIVE_UP, reason)
  }

  /** Closes with a closing handshake, without reporting anything. */
  close(code: number, reason: string): void {
    this.finish()
    const ws = this.ws
    ws.onopen = null
    ws.onmessage = null
    ws.onerror = () => {}
    ws.onclose = null
    try {
      ws.close(code, reason)
    } catch {
      // already closing
    }
  }

  private end(code: number, reason: string): void {
    if (this.done) return
    this.finish()
    this.hooks.ended({ code, reason, opened: this.open, status: this.status })
  }

  private finish(): void {
    this.done = true
    this.clearConnectTimer()
    if (this.pingTimer) clearInterval(this.pingTimer)
    this.pingTimer = null
  }

  private clearConnectTimer(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer)
    this.connectTimer = null
  }

  private startPing(): void {
    const every = this.options.pingIntervalMs
    if (every <= 0) return
    const timer = setInterval(() => {
      if (Date.now() - this.lastFrameAt > 2 * every) {
        // Nothing heard for two intervals: the connection is dead without having said so.
        this.giveUp('no answer to ping')
        return
      }
      this.write(JSON.stringify({ type: 'ping' }))
    }, every)
    ;(timer as { unref?: () => void }).unref?.()
    this.pingTimer = timer
  }
}

function withQuery(url: string, key: string, value: string): string {
  const hash = url.indexOf('#')
  const base = hash >= 0 ? url.slice(0, hash) : url
  return `${base}${base.includes('?') ? '&' : '?'}${key}=${encodeURIComponent(value)}`
}
