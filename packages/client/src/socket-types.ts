// The options, states and events of ChatSocket (./socket.ts).
import type { BackoffOptions } from './backoff.ts'
import type { ChatError } from './errors.ts'
import type { WebSocketConstructor } from './websocket-like.ts'
import type {
  JoinedFrame,
  Message,
  PinFrame,
  PresenceFrame,
  ReadFrame,
  RemovedFrame,
  Room,
  TypingNotice,
  UpdateFrame,
} from './wire.ts'

export interface ChatSocketOptions {
  /** `ws://host/ws` or `wss://host/ws`; a function is asked again before every (re)connect. */
  url: string | (() => string)
  /**
   * A token sent as `Authorization: Bearer` at the upgrade. Only WebSocket constructors that
   * take headers (the `ws` package) can send it; in a browser use the cookie (same site, no
   * option needed) or `getTicket` (cross-site).
   */
  token?: string
  /**
   * Fetches a fresh single-use ticket (`POST /api/auth/ws-ticket`) before every (re)connect.
   * When it rejects with 401 (or BANNED) the socket is refused for good; other failures are retried.
   */
  getTicket?: () => Promise<string>
  /**
   * Asked when a connection failed before it opened and the platform does not tell why (a
   * browser hides the upgrade's status): resolve when the session is valid, reject (401) when it
   * is not, and the socket stops as refused. ChatHttp.socketOptions() passes `GET /api/me`.
   */
  checkSession?: () => Promise<unknown>
  /** The WebSocket constructor; defaults to globalThis.WebSocket. */
  WebSocket?: WebSocketConstructor
  /** Reconnect after a lost connection (default true). Never after a refusal or close(). */
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
  /**
   * Reads a page of a room's history after a seq (`GET /api/rooms/:id/messages?after=`): a
   * join whose replay the server bounded (`joined.skipped`) is read through it, its messages
   * delivered in order before the live ones. ChatHttp.socketOptions() passes it. Without it the
   * stream goes on after `skipped.through`, and reading that part is the app's (`joined` event).
   */
  history?: (room: string, after: number) => Promise<{ items: Message[]; nextCursor: string | null }>
  /** Makes clientMsgIds (default crypto.randomUUID). */
  newClientMsgId?: () => string
}

/**
 * - `refused`: the server refused the session (401 at the upgrade, a ticket refused, close 4001
 *   after a logout, password change or ban) or the origin (403 at the upgrade). Final: sign in
 *   again and make a new ChatSocket.
 * - `closed`: close() was called, reconnect is off, or maxRetries ran out. Final.
 */
export type SocketState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'refused' | 'closed'

export interface CloseInfo {
  code: number
  reason: string
  /** True when the client will dial again after `delayMs`. */
  reconnecting: boolean
  delayMs?: number
}

/** Why the server refused the socket. */
export interface RefusedInfo {
  /**
   * `unauthenticated`: no valid session at the upgrade or for the ticket (401);
   * `revoked`: closed with 4001 (logout elsewhere, password change, ban);
   * `forbidden`: 403 at the upgrade (the page's Origin is not in PUBLIC_ORIGINS) or for the ticket (BANNED).
   */
  reason: 'unauthenticated' | 'revoked' | 'forbidden'
  /** The error pending sends and joins were rejected with. */
  error: ChatError
}

export type ChatSocketEvents = {
  /** A connection opened (the first one or a reconnect); rooms are being re-joined. */
  open: []
  /** A connection ended. */
  close: [info: CloseInfo]
  state: [state: SocketState]
  /** The server refused the session: the client stopped for good (state `refused`). */
  refused: [info: RefusedInfo]
  /** The sign-in was revoked (close 4001); `refused` follows too. Kept for clients that only care about this one. */
  revoked: []
  /**
   * The server answered a join (also after every reconnect); with `skipped`, once that part
   * was read from history (when `history` is given: else it is the app's to read).
   */
  joined: [frame: JoinedFrame]
  /** A room's next message, in seq order, once. */
  message: [message: Message]
  /**
   * A message changed (edit, deletion, reactions): its current state, in the room's seq order
   * with the messages, once. Reactions' `mine` is false in it: `change.by` says whose it was.
   */
  update: [frame: UpdateFrame]
  /** A message was pinned (`pinned: true`) or unpinned, in the room's seq order, once. */
  pin: [frame: PinFrame]
  /** My read marker of a room moved on another tab or device. */
  read: [frame: ReadFrame]
  presence: [frame: PresenceFrame]
  typing: [frame: TypingNotice]
  room: [room: Room]
  /** Live delivery of a room ended without the client asking (left on another tab, room deleted). */
  removed: [frame: RemovedFrame]
  /** An error frame that answers no pending send or join. */
  error: [error: ChatError]
}

export interface JoinOptions {
  /** Deliver every message after this seq first (e.g. the last one shown from history). */
  since?: number
}

export interface SendOptions {
  /** Reuse an id (e.g. a message retried by the user); made fresh otherwise. */
  clientMsgId?: string
  timeoutMs?: number
  /** The seq of the message of the same room this one answers. */
  replyTo?: number
}
