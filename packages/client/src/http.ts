// ChatHttp: every HTTP route of the API as a typed method. Types come from the server's schemas
// (./wire.ts); failures reject with ApiError carrying the server's machine `code`.
//
// Auth: same-site browsers use the cookie login sets (nothing to do); cross-site browsers and
// native apps keep the token login returns and send it as Bearer (`token`, set by login and
// register), and open the socket with a ticket (see socketOptions()).
import { ApiError, ClientCodes } from './errors.ts'
import {
  answerError,
  HttpTransport,
  type HttpTransportOptions,
  networkError,
  type RequestOptions,
} from './http-transport.ts'
import { newClientMsgId } from './ids.ts'
import type { ChatSocketOptions } from './socket-types.ts'
import { type UploadAnswer, type UploadOptions, upload } from './upload.ts'
import type {
  ActivationCodesBody,
  AdminUserPatch,
  AuthAnswer,
  CodesQuery,
  CodeView,
  CreateRoomBody,
  HistoryQuery,
  InviteCodesBody,
  LoginBody,
  Member,
  Message,
  NewCode,
  OwnUser,
  PageOf,
  PasswordChange,
  Post,
  ProfilePatch,
  PublicUser,
  RegisterBody,
  Room,
  RoomsQuery,
  TotpSetup,
  UnreadItem,
  UsersQuery,
  WallQuery,
  WsTicket,
} from './wire.ts'

export type ChatHttpOptions = HttpTransportOptions

/** A downloaded file: its bytes and what the server said about them. */
export interface DownloadedFile {
  blob: Blob
  /** From Content-Disposition; null when absent. */
  name: string | null
  contentType: string
}

export interface Health {
  status: string
}

const enc = encodeURIComponent

export class ChatHttp {
  private readonly transport: HttpTransport

  constructor(options: ChatHttpOptions) {
    this.transport = new HttpTransport(options)
  }

  /** The Bearer token in use (set by login and register, cleared by logout). */
  get token(): string | undefined {
    return this.transport.token
  }
  set token(token: string | undefined) {
    this.transport.token = token
  }

  /** The API's base URL as given ('' = the page's own origin). */
  get baseUrl(): string {
    return this.transport.baseUrl
  }

  /** Any route: JSON in, JSON out; rejects with ApiError on a status ≥ 400. */
  request<T>(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<T> {
    return this.transport.json<T>(method, path, body, options)
  }

  /** The WebSocket URL next to this API: http(s)://host → ws(s)://host/ws. */
  wsUrl(): string {
    const base = this.baseUrl || (globalThis as { location?: { origin: string } }).location?.origin || ''
    return `${base.replace(/^http/, 'ws')}/ws`
  }

  /**
   * Options for a ChatSocket next to this API, authenticated as this client is: with a token
   * (cross-site, native), a fresh ticket before every connect; with the cookie (same-site), the
   * cookie. Either way a connection refused before it opened is checked against GET /api/me, so
   * a session that is gone ends the socket (state 'unauthenticated') instead of redialling.
   */
  socketOptions(): Pick<ChatSocketOptions, 'url' | 'getTicket' | 'checkSession'> {
    return {
      url: () => this.wsUrl(),
      ...(this.token ? { getTicket: async () => (await this.wsTicket()).ticket } : {}),
      checkSession: async () => {
        await this.me()
      },
    }
  }

  // ------------------------------------------------------------------ operations

  /** GET /healthz: the process is alive. */
  health(): Promise<Health> {
    return this.request<Health>('GET', '/healthz')
  }

  /** GET /readyz: the store and the bus answer and the instance is not draining (503 UNAVAILABLE otherwise). */
  ready(): Promise<Health> {
    return this.request<Health>('GET', '/readyz')
  }

  // ------------------------------------------------------------------ signing in

  async register(body: RegisterBody): Promise<AuthAnswer> {
    const answer = await this.request<AuthAnswer>('POST', '/api/auth/register', body)
    this.keep(answer.token)
    return answer
  }

  /** 401 BAD_CREDENTIALS, TOTP_REQUIRED (send `totp`), BAD_TOTP; 403 BANNED; 429 RATE_LIMITED. */
  async login(body: LoginBody): Promise<AuthAnswer> {
    const answer = await this.request<AuthAnswer>('POST', '/api/auth/login', body)
    this.keep(answer.token)
    return answer
  }

  /** With `auth: 'cookie'` the token stays out of script: the cookie carries the session. */
  private keep(token: string): void {
    if (this.transport.auth === 'bearer') this.token = token
  }

  /** Revokes this session everywhere (its sockets close with 4001) and clears the cookie. */
  async logout(): Promise<void> {
    await this.request<null>('POST', '/api/auth/logout')
    this.token = undefined
  }

  /** A single-use ticket for `/ws?ticket=` (30 s). */
  wsTicket(): Promise<WsTicket> {
    return this.request<WsTicket>('POST', '/api/auth/ws-ticket')
  }

  /** Starts two-factor setup: show `otpauthUrl` as a QR code, then enableTotp with a code from the app. */
  totpSetup(): Promise<TotpSetup> {
    return this.request<TotpSetup>('POST', '/api/auth/totp/setup')
  }

  /** 400 BAD_TOTP when the code is wrong. */
  async enableTotp(code: string): Promise<void> {
    await this.request<null>('POST', '/api/auth/totp/enable', { code })
  }

  async disableTotp(code: string): Promise<void> {
    await this.request<null>('POST', '/api/auth/totp/disable', { code })
  }

  // ------------------------------------------------------------------ me

  async me(): Promise<OwnUser> {
    return (await this.request<{ user: OwnUser }>('GET', '/api/me')).user
  }

  async updateMe(patch: ProfilePatch): Promise<OwnUser> {
    return (await this.request<{ user: OwnUser }>('PATCH', '/api/me', patch)).user
  }

  /** Every other session of the user is revoked; this one stays. */
  async changePassword(body: PasswordChange): Promise<void> {
    await this.request<null>('POST', '/api/me/password', body)
  }

  /** Redeems an activation code: VIP extended. 400 INVALID_CODE. */
  async redeemVip(code: string): Promise<OwnUser> {
    return (await this.request<{ user: OwnUser }>('POST', '/api/me/vip', { code })).user
  }

  // ------------------------------------------------------------------ directory

  users(query: UsersQuery = {}): Promise<PageOf<PublicUser>> {
    return this.request<PageOf<PublicUser>>('GET', '/api/users', undefined, { query })
  }

  async user(id: string): Promise<PublicUser> {
    return (await this.request<{ user: PublicUser }>('GET', `/api/users/${enc(id)}`)).user
  }

  // ------------------------------------------------------------------ walls

  /** A wall, newest first: 'home' for the home page's, else a user id. */
  wall(wall: 'home' | string, query: WallQuery = {}): Promise<PageOf<Post>> {
    const path = wall === 'home' ? '/api/posts' : `/api/users/${enc(wall)}/posts`
    return this.request<PageOf<Post>>('GET', path, undefined, { query })
  }

  /** Posts on a wall: 'home' or a user id. 1..2000 code points. */
  async post(wall: 'home' | string, text: string): Promise<Post> {
    const path = wall === 'home' ? '/api/posts' : `/api/users/${enc(wall)}/posts`
    return (await this.request<{ post: Post }>('POST', path, { text })).post
  }

  /** Its author, the owner of its wall or an admin; else 403 FORBIDDEN. */
  async deletePost(id: string): Promise<void> {
    await this.request<null>('DELETE', `/api/posts/${enc(id)}`)
  }

  // ------------------------------------------------------------------ rooms

  /** Needs active VIP, or the admin role (403 VIP_REQUIRED). */
  async createRoom(body: CreateRoomBody): Promise<Room> {
    return (await this.request<{ room: Room }>('POST', '/api/rooms', body)).room
  }

  rooms(query: RoomsQuery = {}): Promise<PageOf<Room>> {
    return this.request<PageOf<Room>>('GET', '/api/rooms', undefined, { query })
  }

  async room(id: string): Promise<Room> {
    return (await this.request<{ room: Room }>('GET', `/api/rooms/${enc(id)}`)).room
  }

  /** Becomes a member (idempotent). 409 ROOM_FULL. */
  async joinRoom(id: string): Promise<Room> {
    return (await this.request<{ room: Room }>('POST', `/api/rooms/${enc(id)}/join`)).room
  }

  async leaveRoom(id: string): Promise<void> {
    await this.request<null>('POST', `/api/rooms/${enc(id)}/leave`)
  }

  async deleteRoom(id: string): Promise<void> {
    await this.request<null>('DELETE', `/api/rooms/${enc(id)}`)
  }

  members(id: string, query: { limit?: number; cursor?: string } = {}): Promise<PageOf<Member>> {
    return this.request<PageOf<Member>>('GET', `/api/rooms/${enc(id)}/members`, undefined, { query })
  }

  /** A room's messages by seq: the newest without parameters, `{before}` for older, `{after}` for newer. */
  history(id: string, query: HistoryQuery = {}): Promise<PageOf<Message>> {
    return this.request<PageOf<Message>>('GET', `/api/rooms/${enc(id)}/messages`, undefined, { query })
  }

  /**
   * Sends over HTTP (same idempotency as the socket's send: pass the same clientMsgId to retry).
   * `replyTo`: the seq of a message of the same room (400 VALIDATION otherwise, 409 DELETED).
   */
  async sendMessage(
    id: string,
    text: string,
    clientMsgId: string = newClientMsgId(),
    options: { replyTo?: number } = {},
  ): Promise<Message> {
    const path = `/api/rooms/${enc(id)}/messages`
    const body = { text, clientMsgId, ...(options.replyTo !== undefined ? { replyTo: options.replyTo } : {}) }
    return (await this.request<{ message: Message }>('POST', path, body)).message
  }

  /** Edits my message (403 FORBIDDEN for another's, 409 DELETED); the room gets an `update`. */
  async editMessage(id: string, seq: number, text: string): Promise<Message> {
    const path = `/api/rooms/${enc(id)}/messages/${seq}`
    return (await this.request<{ message: Message }>('PATCH', path, { text })).message
  }

  /** Deletes a message (its author, the room's creator or an admin); idempotent. */
  async deleteMessage(id: string, seq: number): Promise<void> {
    await this.request<null>('DELETE', `/api/rooms/${enc(id)}/messages/${seq}`)
  }

  /** Puts my `emoji` (one emoji) on a message; idempotent. 409 TOO_MANY_REACTIONS past 20 emojis. */
  async react(id: string, seq: number, emoji: string): Promise<void> {
    await this.request<null>('PUT', `/api/rooms/${enc(id)}/messages/${seq}/reactions/${enc(emoji)}`)
  }

  /** Takes my `emoji` off a message; idempotent. */
  async unreact(id: string, seq: number, emoji: string): Promise<void> {
    await this.request<null>('DELETE', `/api/rooms/${enc(id)}/messages/${seq}/reactions/${enc(emoji)}`)
  }

  /** Moves my read marker of a room (never back); my other sockets get a `read` frame. */
  async markRead(id: string, seq: number): Promise<void> {
    await this.request<null>('POST', `/api/rooms/${enc(id)}/read`, { seq })
  }

  /** My rooms with unread messages or mentions. */
  async unread(): Promise<UnreadItem[]> {
    return (await this.request<{ items: UnreadItem[] }>('GET', '/api/me/unread')).items
  }

  /** The one direct room with a user, created on first use (no VIP needed). */
  async openDm(userId: string): Promise<Room> {
    return (await this.request<{ room: Room }>('POST', '/api/dms', { userId })).room
  }

  /** Removes a member (the room's creator or an admin); they get `removed` with reason `kicked`. */
  async kick(id: string, userId: string): Promise<void> {
    await this.request<null>('POST', `/api/rooms/${enc(id)}/members/${enc(userId)}/kick`)
  }

  /** Mutes a member for `minutes` (1..10080; 0 lifts it): their sends get 403 MUTED. */
  async mute(id: string, userId: string, minutes: number): Promise<void> {
    await this.request<null>('POST', `/api/rooms/${enc(id)}/members/${enc(userId)}/mute`, { minutes })
  }

  // ------------------------------------------------------------------ files

  /**
   * Uploads a file to a room (members only); it becomes a `file` message. With `onProgress`,
   * browsers report the bytes sent as they go. 413 TOO_LARGE past the server's UPLOAD_MAX_BYTES.
   */
  uploadFile(room: string, file: Blob, options: UploadOptions = {}): Promise<UploadAnswer> {
    return upload(this.transport, `/api/rooms/${enc(room)}/files`, file, options)
  }

  /**
   * The URL of a file, for `<img src>` or `<a href download>`: it works where the cookie is sent
   * (same-site). A client on Bearer tokens (cross-site, native) downloads with downloadFile().
   */
  fileUrl(id: string): string {
    return this.transport.url(`/api/files/${enc(id)}`)
  }

  /** Downloads a file with this client's auth (Bearer or cookie); `range` asks for bytes start..end. */
  async downloadFile(
    id: string,
    options: { range?: { start: number; end?: number }; signal?: AbortSignal } = {},
  ): Promise<DownloadedFile> {
    const headers: Record<string, string> = {}
    if (options.range) headers.range = `bytes=${options.range.start}-${options.range.end ?? ''}`
    const res = await this.transport.send('GET', `/api/files/${enc(id)}`, undefined, {
      headers,
      ...(options.signal ? { signal: options.signal } : {}),
    })
    if (res.status >= 400) throw answerError(res.status, await res.text(), res.headers.get('retry-after'))
    if (!res.blob) throw new ApiError(res.status, ClientCodes.NETWORK, 'this fetch gives no blob()', null)
    let blob: Blob
    try {
      blob = await res.blob()
    } catch (err) {
      throw networkError(err)
    }
    return {
      blob,
      name: fileNameOf(res.headers.get('content-disposition')),
      contentType: res.headers.get('content-type') ?? 'application/octet-stream',
    }
  }

  // ------------------------------------------------------------------ admin

  async mintInviteCodes(body: InviteCodesBody): Promise<NewCode[]> {
    return (await this.request<{ codes: NewCode[] }>('POST', '/api/admin/invite-codes', body)).codes
  }

  async mintActivationCodes(body: ActivationCodesBody): Promise<NewCode[]> {
    return (await this.request<{ codes: NewCode[] }>('POST', '/api/admin/activation-codes', body)).codes
  }

  /** Codes without their plain text, filtered by type and status. */
  codes(query: CodesQuery = {}): Promise<PageOf<CodeView>> {
    return this.request<PageOf<CodeView>>('GET', '/api/admin/codes', undefined, { query })
  }

  async revokeCode(id: string): Promise<void> {
    await this.request<null>('DELETE', `/api/admin/codes/${enc(id)}`)
  }

  /** Sets a user's role or ban; a ban revokes their sessions and closes their sockets. */
  async updateUser(id: string, patch: AdminUserPatch): Promise<OwnUser> {
    return (await this.request<{ user: OwnUser }>('PATCH', `/api/admin/users/${enc(id)}`, patch)).user
  }
}

/** The file name of a Content-Disposition header: `filename*=UTF-8''…` first, then `filename="…"`. */
export function fileNameOf(header: string | null): string | null {
  if (!header) return null
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header)
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1].trim())
    } catch {
      // fall through to the plain name
    }
  }
  const plain = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(header) ?? /filename\s*=\s*([^;]+)/i.exec(header)
  return plain?.[1] ? plain[1].replace(/\\(.)/g, '$1').trim() : null
}
