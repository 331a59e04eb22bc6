// ChatSocket: the client side of `GET /ws`. It keeps one WebSocket open (reconnecting with
// backoff and jitter, except after 4001 REVOKED), re-joins every joined room with `since` = the
// last seq it delivered there, delivers each room's messages in seq order exactly once, and
// re-sends unacknowledged messages with the same clientMsgId until acked (the server stores a
// repeated clientMsgId once).
//
// Framework-free and browser-safe: no Node API; the WebSocket constructor is an option (the
// `ws` package in Node 20, the browser's own by default).

import type { CloseCodes } from '../schemas/frames.ts'
import { type BackoffOptions, backoffDelay, defaultBackoff } from './backoff.ts'
import { Emitter } from './emitter.ts'
import { ChatError, ClientCodes } from './errors.ts'
import { newClientMsgId } from './ids.ts'
import { RoomStream } from './ordering.ts'
import {
  dropSocket,
  frameText,
  OPEN,
  resolveWebSocket,
  type WebSocketConstructor,
  type WebSocketLike,
} from './transport.ts'
import type {
  AckFrame,
  ClientFrame,
  ErrorFrame,
  JoinedFrame,
  Message,
  PresenceFrame,
  RemovedFrame,
  Room,
  ServerFrame,
  TypingNotice,
} from './types.ts'

/**
 * The close codes, as plain data: CloseCodes of src/schemas/frames.ts plus NORMAL. Not imported
 * from there (that module needs TypeBox at run time); the type below keeps both the same.
 */
export const CloseCode = {
  NORMAL: 1000,
  POLICY: 1008,
  RESTART: 1012,
  SLOW: 1013,
  REVOKED: 4001,
} as const satisfies typeof CloseCodes & { NORMAL: 1000 }

/** Close codes this client uses for sockets it gives up on (never sent by the server). */
const GIVE_UP = 4100

export interface ChatSocketOptions {
  /** `ws://host/ws` or `wss://host/ws`; a function is asked again before every (re)connect. */
  url: string | (() => string)
  /**
   * A token sent as `Authorization: Bearer` at the upgrade. Only WebSocket constructors that
   * take headers (the `ws` package) can send it; in a browser use the cookie (same origin, no
   * option needed) or `getTicket`.
   */
  token?: string
  /** Fetches a fresh single-use ticket (`POST /api/auth/ws-ticket`) before every (re)connect. */
  getTicket?: () => Promise<string>
  /** The WebSocket constructor; defaults to globalThis.WebSocket. */
  WebSocket?: WebSocketConstructor
  /** Reconnect after a lost connection (default true). Never after 4001 REVOKED or close(). */
  reconnect?: boolean
  /** Give up after this many failed attempts in a row (default: never). */
  maxRetries?: number
  backoff?: Partial<BackoffOptions>
  /** How long a `send` waits for its ack, reconnects included (default 15 s). */
  sendTimeoutMs?: number
  /** How long a `join` waits for `joined`, reconnects included (default 15 s). */
  joinTimeoutMs?: number
  /** How long one connection attempt may take to open (default 10 s). */
  connectTimeoutMs?: number
  /** A ping every this many ms; a connection silent for two of them is dropped (default 25 s, 0 = off). */
  pingIntervalMs?: number
  /** A gap in a room that the server has not filled after this long triggers a re-join with `since` (default 3 s). */
  gapTimeoutMs?: number
  /** Makes clientMsgIds (default crypto.randomUUID). */
  newClientMsgId?: () => string
}

export type SocketState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed'

export interface CloseInfo {
  code: number
  reason: string
  /** True when the client will dial again after `delayMs`. */
  reconnecting: boolean
  delayMs?: number
}

export type ChatSocketEvents = {
  /** A connection opened (the first one or a reconnect); rooms are being re-joined. */
  open: []
  /** A connection ended. */
  close: [info: CloseInfo]
  state: [state: SocketState]
  /** The server answered a join (also after every reconnect). */
  joined: [frame: JoinedFrame]
  /** A room's next message, in seq order, once. */
  message: [message: Message]
  presence: [frame: PresenceFrame]
  typing: [frame: TypingNotice]
  room: [room: Room]
  /** Live delivery of a room ended without the client asking (left on another tab, room deleted). */
  removed: [frame: RemovedFrame]
  /** An error frame that answers no pending send or join. */
  error: [error: ChatError]
  /** The sign-in was revoked (close 4001: logout, password change, ban): the client stopped for good. */
  revoked: []
}

export interface JoinOptions {
  /** Deliver every message after this seq first (e.g. the last one shown from history). */
  since?: number
}

export interface SendOptions {
  /** Reuse an id (e.g. a message retried by the user); made fresh otherwise. */
  clientMsgId?: string
  timeoutMs?: number
}

interface Waiter<T> {
  resolve: (value: T) => void
  reject: (err: ChatError) => void
  timer: ReturnType<typeof setTimeout>
}

interface RoomEntry {
  stream: RoomStream
  /** `joined` received on the current connection. */
  joined: JoinedFrame | null
  waiters: Waiter<JoinedFrame>[]
  gapTimer: ReturnType<typeof setTimeout> | null
}

interface Outgoing extends Waiter<AckFrame> {
  room: string
  frame: string
}

export class ChatSocket extends Emitter<ChatSocketEvents> {
  private readonly options: ChatSocketOptions
  private readonly Ctor: WebSocketConstructor
  private readonly backoff: BackoffOptions
  private ws: WebSocketLike | null = null
  private current: SocketState = 'idle'
  /** connect() was called and close() was not. */
  private wanted = false
  private attempts = 0
  /** Bumped on every dial and every stop, so a stale async step (a ticket fetch) knows it is stale. */
  private generation = 0
  private readonly rooms = new Map<string, RoomEntry>()
  private readonly outbox = new Map<string, Outgoing>()
  private openWaiters: { resolve: () => void; reject: (err: ChatError) => void }[] = []
  private connectTimer: ReturnType<typeof setTimeout> | null = null
  private retryTimer: ReturnType<typeof setTimeout> | null = null
  private pingTimer: ReturnType<typeof setInterval> | null = null
  private lastFrameAt = 0

  constructor(options: ChatSocketOptions) {
    super()
    this.options = options
    this.Ctor = resolveWebSocket(options.WebSocket)
    this.backoff = { ...defaultBackoff, ...options.backoff }
  }

  // ------------------------------------------------------------------ state

  get state(): SocketState {
    return this.current
  }

  /** The WebSocket in use, if any (for diagnostics and tests). */
  get raw(): WebSocketLike | null {
    return this.ws
  }

  /** Rooms this client follows (joined, or joining). */
  get joinedRooms(): string[] {
    return [...this.rooms.keys()]
  }

  /** The seq of the last message delivered in a room, or null. */
  lastSeq(room: string): number | null {
    return this.rooms.get(room)?.stream.lastSeq ?? null
  }

  /** Sends not acknowledged yet. */
  get pending(): number {
    return this.outbox.size
  }

  // ------------------------------------------------------------------ connection

  /** Opens the connection (if not already); resolves once it is open. */
  connect(): Promise<void> {
    if (this.current === 'open') return Promise.resolve()
    const opened = new Promise<void>((resolve, reject) => {
      this.openWaiters.push({ resolve, reject })
    })
    if (!this.wanted) {
      this.wanted = true
      this.attempts = 0
      void this.dial()
    }
    return opened
  }

  /** Closes for good: pending sends and joins are rejected with CLOSED; no reconnect. */
  close(code: number = CloseCode.NORMAL, reason = 'closed by the client'): void {
    const ws = this.ws
    const was = this.current
    this.stop(new ChatError(ClientCodes.CLOSED, 'the client was closed'))
    if (ws) {
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
    if (was !== 'closed' && was !== 'idle') this.emit('close', { code, reason, reconnecting: false })
  }

  /** Drops the current connection and dials again at once (e.g. the network changed). */
  reconnectNow(): void {
    if (!this.wanted) return
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
    if (this.ws) dropSocket(this.ws, GIVE_UP, 'reconnect')
    this.ws = null
    this.clearConnectionTimers()
    this.attempts = 0
    this.markRoomsUnjoined()
    this.emit('close', { code: GIVE_UP, reason: 'reconnect', reconnecting: true, delayMs: 0 })
    void this.dial()
  }

  private setState(state: SocketState): void {
    if (state === this.current) return
    this.current = state
    this.emit('state', state)
  }

  private async dial(): Promise<void> {
    const generation = ++this.generation
    this.setState('connecting')
    let url = typeof this.options.url === 'function' ? this.options.url() : this.options.url
    if (this.options.getTicket) {
      try {
        const ticket = await this.options.getTicket()
        if (generation !== this.generation) return
        url = withQuery(url, 'ticket', ticket)
      } catch (err) {
        if (generation !== this.generation) return
        this.lost(GIVE_UP, `could not get a ticket: ${errorText(err)}`)
        return
      }
    }
    let ws: WebSocketLike
    try {
      ws = this.options.token
        ? new this.Ctor(url, undefined, { headers: { authorization: `Bearer ${this.options.token}` } })
        : new this.Ctor(url)
    } catch (err) {
      this.lost(GIVE_UP, `could not open: ${errorText(err)}`)
      return
    }
    this.ws = ws
    this.connectTimer = setTimeout(() => {
      if (this.ws !== ws) return
      dropSocket(ws, GIVE_UP, 'connect timeout')
      this.lost(GIVE_UP, 'connect timeout')
    }, this.options.connectTimeoutMs ?? 10_000)
    ws.onopen = () => {
      if (this.ws === ws) this.opened()
    }
    ws.onmessage = (event) => {
      if (this.ws !== ws) return
      this.lastFrameAt = Date.now()
      const text = frameText(event.data)
      if (text !== null) this.receive(text)
    }
    ws.onerror = () => {
      // A close event follows; nothing to do here.
    }
    ws.onclose = (event) => {
      if (this.ws === ws) this.lost(event.code, event.reason)
    }
  }

  private opened(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer)
    this.connectTimer = null
    this.attempts = 0
    this.lastFrameAt = Date.now()
    this.setState('open')
    this.startPing()
    // Re-join first, then re-send: a send needs membership, not live delivery, but this keeps
    // the order in which things happened.
    for (const [room, entry] of this.rooms) this.sendJoin(room, entry)
    for (const out of this.outbox.values()) this.write(out.frame)
    const waiters = this.openWaiters
    this.openWaiters = []
    for (const w of waiters) w.resolve()
    this.emit('open')
  }

  /** The connection ended (closed by the server, the network, or a timeout here). */
  private lost(code: number, reason: string): void {
    this.ws = null
    this.clearConnectionTimers()
    this.markRoomsUnjoined()
    if (!this.wanted) return
    if (code === CloseCode.REVOKED) {
      this.stop(new ChatError(ClientCodes.REVOKED, reason || 'the sign-in was revoked'))
      this.emit('close', { code, reason, reconnecting: false })
      this.emit('revoked')
      return
    }
    const maxRetries = this.options.maxRetries ?? Number.POSITIVE_INFINITY
    if (this.options.reconnect === false || this.attempts >= maxRetries) {
      this.stop(new ChatError(ClientCodes.CLOSED, `connection closed (${code}${reason ? ` ${reason}` : ''})`))
      this.emit('close', { code, reason, reconnecting: false })
      return
    }
    const delayMs = backoffDelay(this.attempts++, this.backoff)
    this.setState('reconnecting')
    this.emit('close', { code, reason, reconnecting: true, delayMs })
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      if (this.wanted) void this.dial()
    }, delayMs)
  }

  /** Stops for good: no socket, no timers, everything pending rejected with `error`. */
  private stop(error: ChatError): void {
    this.wanted = false
    this.generation++
    this.ws = null
    this.clearConnectionTimers()
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
    for (const out of this.outbox.values()) {
      clearTimeout(out.timer)
      out.reject(error)
    }
    this.outbox.clear()
    for (const entry of this.rooms.values()) {
      if (entry.gapTimer) clearTimeout(entry.gapTimer)
      entry.gapTimer = null
      for (const w of entry.waiters.splice(0)) {
        clearTimeout(w.timer)
        w.reject(error)
      }
      entry.joined = null
    }
    const waiters = this.openWaiters
    this.openWaiters = []
    for (const w of waiters) w.reject(error)
    this.setState('closed')
  }

  private clearConnectionTimers(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer)
    this.connectTimer = null
    if (this.pingTimer) clearInterval(this.pingTimer)
    this.pingTimer = null
  }

  private markRoomsUnjoined(): void {
    for (const entry of this.rooms.values()) {
      entry.joined = null
      if (entry.gapTimer) clearTimeout(entry.gapTimer)
      entry.gapTimer = null
    }
  }

  private startPing(): void {
    const every = this.options.pingIntervalMs ?? 25_000
    if (every <= 0) return
    const timer = setInterval(() => {
      const ws = this.ws
      if (!ws) return
      if (Date.now() - this.lastFrameAt > 2 * every) {
        // Nothing heard for two intervals: the connection is dead without having said so.
        dropSocket(ws, GIVE_UP, 'no answer to ping')
        this.lost(GIVE_UP, 'no answer to ping')
        return
      }
      this.write(JSON.stringify({ type: 'ping' } satisfies ClientFrame))
    }, every)
    ;(timer as { unref?: () => void }).unref?.()
    this.pingTimer = timer
  }

  private write(frame: string): boolean {
    const ws = this.ws
    if (!ws || ws.readyState !== OPEN || this.current !== 'open') return false
    try {
      ws.send(frame)
      return true
    } catch {
      return false
    }
  }

  // ------------------------------------------------------------------ rooms

  /**
   * Starts live delivery of a room (the user must be a member: `POST /api/rooms/:id/join`).
   * Resolves with the server's `joined`. The room is re-joined after every reconnect.
   */
  join(room: string, options: JoinOptions = {}): Promise<JoinedFrame> {
    if (this.current === 'closed')
      return Promise.reject(new ChatError(ClientCodes.CLOSED, 'the client is closed'))
    let entry = this.rooms.get(room)
    if (entry?.joined) return Promise.resolve(entry.joined)
    const fresh = !entry
    if (!entry) {
      entry = { stream: new RoomStream(options.since), joined: null, waiters: [], gapTimer: null }
      this.rooms.set(room, entry)
    }
    const target = entry
    const answered = new Promise<JoinedFrame>((resolve, reject) => {
      const waiter: Waiter<JoinedFrame> = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = target.waiters.indexOf(waiter)
          if (i >= 0) target.waiters.splice(i, 1)
          reject(new ChatError(ClientCodes.TIMEOUT, `no answer to join ${room}`))
        }, this.options.joinTimeoutMs ?? 15_000),
      }
      target.waiters.push(waiter)
    })
    if (fresh) this.sendJoin(room, entry)
    return answered
  }

  /** Stops live delivery of a room (membership is unchanged). */
  leave(room: string): void {
    const entry = this.rooms.get(room)
    if (!entry) return
    this.forget(room, entry, new ChatError(ClientCodes.CLOSED, `left ${room}`))
    this.write(JSON.stringify({ type: 'leave', room } satisfies ClientFrame))
  }

  /** Tells the room's other followers that this user is typing (dropped while disconnected). */
  typing(room: string): void {
    this.write(JSON.stringify({ type: 'typing', room } satisfies ClientFrame))
  }

  private sendJoin(room: string, entry: RoomEntry): void {
    const since = entry.stream.lastSeq
    const frame: ClientFrame = since === null ? { type: 'join', room } : { type: 'join', room, since }
    this.write(JSON.stringify(frame))
  }

  private forget(room: string, entry: RoomEntry, error: ChatError): void {
    this.rooms.delete(room)
    if (entry.gapTimer) clearTimeout(entry.gapTimer)
    for (const w of entry.waiters.splice(0)) {
      clearTimeout(w.timer)
      w.reject(error)
    }
  }

  // ------------------------------------------------------------------ messages

  /**
   * Sends a message; resolves with its ack once the server stored it. Until then the same frame
   * (same clientMsgId) is re-sent after every reconnect; rejects on an error frame for it, on
   * timeout, or when the client closes.
   */
  send(room: string, text: string, options: SendOptions = {}): Promise<AckFrame> {
    if (this.current === 'closed')
      return Promise.reject(new ChatError(ClientCodes.CLOSED, 'the client is closed'))
    const clientMsgId = options.clientMsgId ?? (this.options.newClientMsgId ?? newClientMsgId)()
    const existing = this.outbox.get(clientMsgId)
    if (existing) {
      return new Promise<AckFrame>((resolve, reject) => {
        const { resolve: r0, reject: j0 } = existing
        existing.resolve = (ack) => {
          r0(ack)
          resolve(ack)
        }
        existing.reject = (err) => {
          j0(err)
          reject(err)
        }
      })
    }
    const frame = JSON.stringify({ type: 'send', room, clientMsgId, text } satisfies ClientFrame)
    return new Promise<AckFrame>((resolve, reject) => {
      const out: Outgoing = {
        room,
        frame,
        resolve,
        reject,
        timer: setTimeout(
          () => {
            this.outbox.delete(clientMsgId)
            out.reject(new ChatError(ClientCodes.TIMEOUT, `no ack for ${clientMsgId}`))
          },
          options.timeoutMs ?? this.options.sendTimeoutMs ?? 15_000,
        ),
      }
      this.outbox.set(clientMsgId, out)
      this.write(frame)
    })
  }

  // ------------------------------------------------------------------ incoming

  private receive(text: string): void {
    let frame: ServerFrame
    try {
      const parsed: unknown = JSON.parse(text)
      if (
        typeof parsed !== 'object' ||
        parsed === null ||
        typeof (parsed as { type?: unknown }).type !== 'string'
      )
        return
      frame = parsed as ServerFrame
    } catch {
      return
    }
    switch (frame.type) {
      case 'message':
        this.onMessage(frame.message)
        return
      case 'ack':
        this.onAck(frame)
        return
      case 'joined':
        this.onJoined(frame)
        return
      case 'presence':
        this.emit('presence', frame)
        return
      case 'typing':
        this.emit('typing', frame)
        return
      case 'room':
        this.emit('room', frame.room)
        return
      case 'removed': {
        const entry = this.rooms.get(frame.room)
        if (entry)
          this.forget(
            frame.room,
            entry,
            new ChatError('REMOVED', `removed from ${frame.room}: ${frame.reason}`),
          )
        this.emit('removed', frame)
        return
      }
      case 'error':
        this.onError(frame)
        return
      case 'pong':
        return
    }
  }

  private onMessage(message: Message): void {
    const entry = this.rooms.get(message.room)
    if (!entry) return // left meanwhile
    for (const m of entry.stream.push(message)) this.emit('message', m)
    this.watchGap(message.room, entry)
  }

  private onJoined(frame: JoinedFrame): void {
    const entry = this.rooms.get(frame.room)
    if (!entry) return
    entry.joined = frame
    for (const m of entry.stream.joined(frame.lastSeq)) this.emit('message', m)
    for (const w of entry.waiters.splice(0)) {
      clearTimeout(w.timer)
      w.resolve(frame)
    }
    this.emit('joined', frame)
    this.watchGap(frame.room, entry)
  }

  private onAck(frame: AckFrame): void {
    const out = this.outbox.get(frame.clientMsgId)
    if (!out) return // a late ack after a timeout, or a repeat
    this.outbox.delete(frame.clientMsgId)
    clearTimeout(out.timer)
    out.resolve(frame)
  }

  private onError(frame: ErrorFrame): void {
    const error = new ChatError(frame.code, frame.message)
    if (frame.ref !== undefined) {
      const out = this.outbox.get(frame.ref)
      if (out) {
        this.outbox.delete(frame.ref)
        clearTimeout(out.timer)
        out.reject(error)
        return
      }
      const entry = this.rooms.get(frame.ref)
      if (entry && !entry.joined && entry.waiters.length > 0) {
        this.forget(frame.ref, entry, error)
        return
      }
    }
    if (this.listenerCount('error') > 0) this.emit('error', error)
  }

  /**
   * The server fills gaps itself; if one stays open (the server lost track), re-join the room
   * with `since` = the last seq delivered: the replay fills it, repeats are dropped.
   */
  private watchGap(room: string, entry: RoomEntry): void {
    if (!entry.stream.hasGap) {
      if (entry.gapTimer) clearTimeout(entry.gapTimer)
      entry.gapTimer = null
      return
    }
    if (entry.gapTimer) return
    entry.gapTimer = setTimeout(() => {
      entry.gapTimer = null
      if (this.rooms.get(room) !== entry || !entry.stream.hasGap) return
      // Not joined on this connection yet: the join under way replays from `since` anyway.
      if (entry.joined) this.sendJoin(room, entry)
      this.watchGap(room, entry)
    }, this.options.gapTimeoutMs ?? 3_000)
  }
}

function withQuery(url: string, key: string, value: string): string {
  const hash = url.indexOf('#')
  const base = hash >= 0 ? url.slice(0, hash) : url
  return `${base}${base.includes('?') ? '&' : '?'}${key}=${encodeURIComponent(value)}`
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
