// ChatHttp: a small typed wrapper over fetch for the HTTP routes a chat client needs. Types come
// from the server's TypeBox schemas (./types.ts); errors come back as ApiError with the server's
// machine code. Works in browsers (cookie auth: credentials 'include') and in Node 20 (global
// fetch; Bearer auth with the token login/register return).
import { ApiError, ClientCodes } from './errors.ts'
import { newClientMsgId } from './ids.ts'
import type {
  ActivationCodesBody,
  AuthAnswer,
  CreateRoomBody,
  ErrorBody,
  HistoryQuery,
  InviteCodesBody,
  LoginBody,
  Member,
  Message,
  NewCode,
  OwnUser,
  PageOf,
  ProfilePatch,
  RegisterBody,
  Room,
  RoomsQuery,
  WsTicket,
} from './types.ts'

/** What the wrapper needs of a fetch Response. */
export interface FetchResponseLike {
  readonly status: number
  readonly headers: { get(name: string): string | null }
  text(): Promise<string>
}

export interface FetchInit {
  method: string
  headers: Record<string, string>
  body?: string
  credentials?: 'include' | 'same-origin' | 'omit'
}

/** The global fetch of browsers and Node 18+ fits. */
export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponseLike>

export interface ChatHttpOptions {
  /** Where the API is: `https://chat.example.com`, or '' for the page's own origin. */
  baseUrl: string
  /** Sent as `Authorization: Bearer`; login and register set it. */
  token?: string
  fetch?: FetchLike
  /** For browsers on another origin: 'include' sends the cookie. */
  credentials?: FetchInit['credentials']
  /** Extra headers on every request (e.g. Origin in Node tests). */
  headers?: Record<string, string>
}

type Query = Record<string, string | number | boolean | undefined>

export class ChatHttp {
  token: string | undefined
  private readonly baseUrl: string
  private readonly fetcher: FetchLike
  private readonly options: ChatHttpOptions

  constructor(options: ChatHttpOptions) {
    this.options = options
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.token = options.token
    const global = (globalThis as { fetch?: FetchLike }).fetch
    const fetcher = options.fetch ?? global?.bind(globalThis)
    if (!fetcher) throw new Error('No global fetch here: pass one as the `fetch` option')
    this.fetcher = fetcher
  }

  /** The WebSocket URL next to this API: http(s)://host → ws(s)://host/ws. */
  wsUrl(): string {
    const base = this.baseUrl || (globalThis as { location?: { origin: string } }).location?.origin || ''
    return `${base.replace(/^http/, 'ws')}/ws`
  }

  /** Any route: JSON in, JSON out; throws ApiError on a status ≥ 400. */
  async request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.options.headers }
    if (this.token) headers.authorization = `Bearer ${this.token}`
    const init: FetchInit = { method, headers }
    if (body !== undefined) {
      headers['content-type'] = 'application/json'
      init.body = JSON.stringify(body)
    }
    if (this.options.credentials) init.credentials = this.options.credentials
    let res: FetchResponseLike
    try {
      res = await this.fetcher(`${this.baseUrl}${path}${queryString(query)}`, init)
    } catch (err) {
      throw new ApiError(0, ClientCodes.NETWORK, err instanceof Error ? err.message : String(err), null)
    }
    const text = await res.text()
    let parsed: unknown = null
    if (text) {
      try {
        parsed = JSON.parse(text)
      } catch {
        if (res.status < 400)
          throw new ApiError(res.status, ClientCodes.NETWORK, 'the answer is not JSON', text)
      }
    }
    if (res.status >= 400) {
      const err = (parsed ?? {}) as Partial<ErrorBody>
      throw new ApiError(
        res.status,
        err.code ?? `HTTP_${res.status}`,
        err.message ?? `HTTP ${res.status}`,
        parsed,
      )
    }
    return parsed as T
  }

  // ---------------------------------------------------------------- signing in

  async register(body: RegisterBody): Promise<AuthAnswer> {
    const answer = await this.request<AuthAnswer>('POST', '/api/auth/register', body)
    this.token = answer.token
    return answer
  }

  async login(body: LoginBody): Promise<AuthAnswer> {
    const answer = await this.request<AuthAnswer>('POST', '/api/auth/login', body)
    this.token = answer.token
    return answer
  }

  async logout(): Promise<void> {
    await this.request<null>('POST', '/api/auth/logout')
    this.token = undefined
  }

  /** A single-use ticket for `/ws?ticket=` (30 s). */
  wsTicket(): Promise<WsTicket> {
    return this.request<WsTicket>('POST', '/api/auth/ws-ticket')
  }

  async me(): Promise<OwnUser> {
    return (await this.request<{ user: OwnUser }>('GET', '/api/me')).user
  }

  async updateMe(patch: ProfilePatch): Promise<OwnUser> {
    return (await this.request<{ user: OwnUser }>('PATCH', '/api/me', patch)).user
  }

  /** Redeems an activation code: VIP extended. */
  async redeemVip(code: string): Promise<OwnUser> {
    return (await this.request<{ user: OwnUser }>('POST', '/api/me/vip', { code })).user
  }

  // ---------------------------------------------------------------- rooms

  /** Needs active VIP, or the admin role. */
  async createRoom(body: CreateRoomBody): Promise<Room> {
    return (await this.request<{ room: Room }>('POST', '/api/rooms', body)).room
  }

  rooms(query: RoomsQuery = {}): Promise<PageOf<Room>> {
    return this.request<PageOf<Room>>('GET', '/api/rooms', undefined, query)
  }

  async room(id: string): Promise<Room> {
    return (await this.request<{ room: Room }>('GET', `/api/rooms/${enc(id)}`)).room
  }

  /** Becomes a member (idempotent). */
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
    return this.request<PageOf<Member>>('GET', `/api/rooms/${enc(id)}/members`, undefined, query)
  }

  /** A room's messages by seq: `{before}` for older ones, `{after}` for newer ones. */
  history(id: string, query: HistoryQuery = {}): Promise<PageOf<Message>> {
    return this.request<PageOf<Message>>('GET', `/api/rooms/${enc(id)}/messages`, undefined, query)
  }

  /** Sends over HTTP (same idempotency as the socket's send: pass the same clientMsgId to retry). */
  async sendMessage(id: string, text: string, clientMsgId: string = newClientMsgId()): Promise<Message> {
    return (
      await this.request<{ message: Message }>('POST', `/api/rooms/${enc(id)}/messages`, {
        text,
        clientMsgId,
      })
    ).message
  }

  // ---------------------------------------------------------------- admin

  async mintInviteCodes(body: InviteCodesBody): Promise<NewCode[]> {
    return (await this.request<{ codes: NewCode[] }>('POST', '/api/admin/invite-codes', body)).codes
  }

  async mintActivationCodes(body: ActivationCodesBody): Promise<NewCode[]> {
    return (await this.request<{ codes: NewCode[] }>('POST', '/api/admin/activation-codes', body)).codes
  }
}

const enc = encodeURIComponent

function queryString(query: Query | undefined): string {
  if (!query) return ''
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v))
  const s = params.toString()
  return s ? `?${s}` : ''
}
