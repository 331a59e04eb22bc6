// ChatSocket: the client side of `GET /ws`. It keeps one WebSocket open (reconnecting with
// backoff and jitter), re-joins every joined room with `since` = the last seq it delivered there,
// delivers each room's messages in seq order exactly once, and re-sends unacknowledged messages
// with the same clientMsgId until acked (the server stores a repeated clientMsgId once).
//
// A refused session is final, never a redial loop: 401 at the upgrade, a ticket refused with
// 401, or close 4001 (revoked) put the socket in state `refused` and emit `refused`; so does 403
// at the upgrade (an Origin the server does not allow). Where the platform hides the upgrade's
// status (browsers), `checkSession` tells a refused session from a network failure.
//
// Framework-free and browser-safe: no Node API; the WebSocket constructor is an option (the
// `ws` package in Node 20, the platform's own by default).
// Beside it: one connection is a SocketLink (socket-link.ts), the rooms a RoomSet, frames in are
// dispatched by socket-frames.ts, and socket-refusals.ts tells a refusal from a failure.
import { type BackoffOptions, backoffDelay, defaultBackoff } from './backoff.ts'
import { Emitter } from './emitter.ts'
import { ChatError, ClientCodes, messageOf } from './errors.ts'
import { newClientMsgId } from './ids.ts'
import { Outbox } from './outbox.ts'
import { RoomSet } from './room-set.ts'
import { dispatchFrame, type FrameTarget, parseFrame } from './socket-frames.ts'
import { GIVE_UP, SocketLink, type SocketLinkEnd } from './socket-link.ts'
import { endRefusal, refusalOf, sessionRefusal } from './socket-refusals.ts'
import type {
  ChatSocketEvents,
  ChatSocketOptions,
  JoinOptions,
  RefusedInfo,
  SendOptions,
  SocketState,
} from './socket-types.ts'
import { resolveWebSocket, type WebSocketConstructor, type WebSocketLike } from './websocket-like.ts'
import { type AckFrame, type ClientFrame, CloseCode, type JoinedFrame } from './wire.ts'

export class ChatSocket extends Emitter<ChatSocketEvents> {
  private readonly options: ChatSocketOptions
  private readonly backoff: BackoffOptions
  private link: SocketLink | null = null
  private current: SocketState = 'idle'
  /** connect() was called and neither close() nor a refusal stopped it. */
  private wanted = false
  private attempts = 0
  /** Bumped on every dial and every stop, so a stale async step (a ticket fetch) knows it is stale. */
  private generation = 0
  private readonly rooms: RoomSet
  private readonly outbox = new Outbox()
  private openWaiters: { resolve: () => void; reject: (err: ChatError) => void }[] = []
  private retryTimer: ReturnType<typeof setTimeout> | null = null
  private readonly frameTarget: FrameTarget

  constructor(options: ChatSocketOptions) {
    super()
    this.options = options
    this.backoff = { ...defaultBackoff, ...options.backoff }
    this.rooms = new RoomSet({
      write: (frame) => this.link?.write(JSON.stringify(frame)),
      deliver: (event) => {
        if (!('type' in event)) this.emit('message', event)
        else if (event.type === 'pin') this.emit('pin', event)
        else this.emit('update', event)
      },
      joined: (frame) => this.emit('joined', frame),
      history: options.history,
      gapTimeoutMs: options.gapTimeoutMs ?? 3_000,
      retryDelay: (refusals) => backoffDelay(refusals, this.backoff),
    })
    this.frameTarget = {
      rooms: this.rooms,
      outbox: this.outbox,
      emit: (event, ...args) => this.emit(event, ...args),
      listensToErrors: () => this.listenerCount('error') > 0,
    }
  }

  // ------------------------------------------------------------------ state

  get state(): SocketState {
    return this.current
  }

  /** The WebSocket in use, if any (for diagnostics and tests). */
  get raw(): WebSocketLike | null {
    return this.link?.ws ?? null
  }

  /** Rooms this client follows (joined, or joining). */
  get joinedRooms(): string[] {
    return this.rooms.names
  }

  /** The seq of the last message delivered in a room, or null. */
  lastSeq(room: string): number | null {
    return this.rooms.lastSeq(room)
  }

  /** Sends not acknowledged yet. */
  get pending(): number {
    return this.outbox.size
  }

  // ------------------------------------------------------------------ connection

  /**
   * Opens the connection (if not already); resolves once it is open. Rejects when the client
   * stops first: refused (code UNAUTHENTICATED, REVOKED, BAD_ORIGIN...), closed, or out of retries.
   */
  connect(): Promise<void> {
    if (this.current === 'open') return Promise.resolve()
    if (this.current === 'refused')
      return Promise.reject(new ChatError('UNAUTHENTICATED', 'the session was refused: sign in again'))
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
    const link = this.link
    this.link = null // closed below with a handshake, not dropped by stop()
    const was = this.current
    this.stop(
      new ChatError(ClientCodes.CLOSED, 'the client was closed'),
      was === 'refused' ? 'refused' : 'closed',
    )
    link?.close(code, reason)
    if (was !== 'closed' && was !== 'idle' && was !== 'refused')
      this.emit('close', { code, reason, reconnecting: false })
  }

  /** Drops the current connection and dials again at once (e.g. the network changed). */
  reconnectNow(): void {
    if (!this.wanted) return
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
    this.link?.drop('reconnect')
    this.link = null
    this.attempts = 0
    this.rooms.unjoinAll()
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
    const url = typeof this.options.url === 'function' ? this.options.url() : this.options.url
    let ticket: string | undefined
    if (this.options.getTicket) {
      try {
        ticket = await this.options.getTicket()
        if (generation !== this.generation) return
      } catch (err) {
        if (generation !== this.generation) return
        const refusal = refusalOf(err)
        if (refusal) this.refuse(GIVE_UP, `the ticket was refused: ${messageOf(err)}`, refusal, err)
        else
          this.lost({
            code: GIVE_UP,
            reason: `could not get a ticket: ${messageOf(err)}`,
            opened: false,
            status: null,
          })
        return
      }
    }
    let Ctor: WebSocketConstructor
    try {
      // Resolved here, not in the constructor: a ChatSocket may be made where there is none (SSR).
      Ctor = resolveWebSocket(this.options.WebSocket)
    } catch (err) {
      this.stop(new ChatError(ClientCodes.CLOSED, messageOf(err)))
      return
    }
    try {
      this.link = new SocketLink(
        Ctor,
        {
          url,
          ticket,
          token: this.options.token,
          connectTimeoutMs: this.options.connectTimeoutMs ?? 10_000,
          pingIntervalMs: this.options.pingIntervalMs ?? 25_000,
        },
        {
          opened: () => this.opened(),
          frame: (text) => this.receive(text),
          ended: (end) => {
            this.link = null
            this.lost(end)
          },
        },
      )
    } catch (err) {
      this.lost({ code: GIVE_UP, reason: `could not open: ${messageOf(err)}`, opened: false, status: null })
    }
  }

  private opened(): void {
    this.attempts = 0
    this.setState('open')
    // Re-join first, then re-send: a send needs membership, not live delivery, but this keeps
    // the order in which things happened.
    this.rooms.rejoinAll()
    for (const frame of this.outbox.frames()) this.link?.write(frame)
    const waiters = this.openWaiters
    this.openWaiters = []
    for (const w of waiters) w.resolve()
    this.emit('open')
  }

  /** The connection ended (closed by the server, the network, or a timeout here). */
  private lost(end: SocketLinkEnd): void {
    this.rooms.unjoinAll()
    if (!this.wanted) return
    const { code, reason } = end
    const refused = endRefusal(end)
    if (refused) {
      this.refuse(code, reason, refused.reason, refused.error)
      return
    }
    if (!end.opened && end.status === null && this.options.checkSession) {
      // The platform does not say why it failed: ask whether the session still holds.
      const generation = this.generation
      this.setState('reconnecting')
      void sessionRefusal(this.options.checkSession()).then((refused) => {
        if (generation !== this.generation || !this.wanted) return
        if (refused) this.refuse(code, reason, refused.reason, refused.error)
        else this.retry(end)
      })
      return
    }
    this.retry(end)
  }

  private retry({ code, reason }: SocketLinkEnd): void {
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

  /** The server refused the session or the origin: stop for good and say so. */
  private refuse(code: number, reason: string, why: RefusedInfo['reason'], err: unknown): void {
    const error =
      err instanceof ChatError
        ? err
        : new ChatError('UNAUTHENTICATED', messageOf(err) || 'the session was refused')
    this.stop(error, 'refused')
    this.emit('close', { code, reason, reconnecting: false })
    if (why === 'revoked') this.emit('revoked')
    this.emit('refused', { reason: why, error })
  }

  /** Stops for good: no socket, no timers, everything pending rejected with `error`. */
  private stop(error: ChatError, state: 'closed' | 'refused' = 'closed'): void {
    this.wanted = false
    this.generation++
    this.link?.drop('stopped')
    this.link = null
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
    this.outbox.rejectAll(error)
    this.rooms.rejectAll(error)
    const waiters = this.openWaiters
    this.openWaiters = []
    for (const w of waiters) w.reject(error)
    this.setState(state)
  }

  // ------------------------------------------------------------------ rooms

  /**
   * Starts live delivery of a room (the user must be a member: `POST /api/rooms/:id/join`).
   * Resolves with the server's `joined`. The room is re-joined after every reconnect.
   */
  join(room: string, options: JoinOptions = {}): Promise<JoinedFrame> {
    if (this.stopped) return Promise.reject(new ChatError(ClientCodes.CLOSED, 'the client is closed'))
    return this.rooms.join(room, options.since, this.options.joinTimeoutMs ?? 15_000)
  }

  /** Stops live delivery of a room (membership is unchanged). */
  leave(room: string): void {
    if (this.rooms.leave(room, new ChatError(ClientCodes.CLOSED, `left ${room}`)))
      this.write({ type: 'leave', room })
  }

  /**
   * Tells the room's other followers that this user is typing. Dropped unless the room is
   * joined on the current connection: the server only passes it on for a followed room.
   */
  typing(room: string): void {
    if (this.rooms.isJoined(room)) this.write({ type: 'typing', room })
  }

  // ------------------------------------------------------------------ messages

  /**
   * Sends a message; resolves with its ack once the server stored it. Until then the same frame
   * (same clientMsgId) is re-sent after every reconnect; rejects on an error frame for it, on
   * timeout, or when the client stops.
   */
  send(room: string, text: string, options: SendOptions = {}): Promise<AckFrame> {
    if (this.stopped) return Promise.reject(new ChatError(ClientCodes.CLOSED, 'the client is closed'))
    const clientMsgId = options.clientMsgId ?? (this.options.newClientMsgId ?? newClientMsgId)()
    const frame = JSON.stringify({
      type: 'send',
      room,
      clientMsgId,
      text,
      ...(options.replyTo !== undefined ? { replyTo: options.replyTo } : {}),
    } satisfies ClientFrame)
    const { answer, fresh } = this.outbox.add(
      clientMsgId,
      frame,
      options.timeoutMs ?? this.options.sendTimeoutMs ?? 15_000,
    )
    if (fresh) this.link?.write(frame)
    return answer
  }

  private get stopped(): boolean {
    return this.current === 'closed' || this.current === 'refused'
  }

  private write(frame: ClientFrame): void {
    this.link?.write(JSON.stringify(frame))
  }

  private receive(text: string): void {
    const frame = parseFrame(text)
    if (frame) dispatchFrame(frame, this.frameTarget)
  }
}
