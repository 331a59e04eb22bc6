// HttpTransport, under ChatHttp: fetch (the platform's, or one passed in), the auth header,
// JSON in and out, and every failure turned into an ApiError with the server's machine code.
import { ApiError, ClientCodes } from './errors.ts'
import type { ErrorBody } from './wire.ts'

/** What the client needs of a fetch Response. */
export interface FetchResponseLike {
  readonly status: number
  readonly headers: { get(name: string): string | null }
  text(): Promise<string>
  blob?(): Promise<Blob>
}

export interface FetchInit {
  method: string
  headers: Record<string, string>
  body?: string | FormData
  credentials?: 'include' | 'same-origin' | 'omit'
  signal?: AbortSignal
}

/** The global fetch of browsers, React Native and Node 18+ fits. */
export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponseLike>

export type Query = Record<string, string | number | boolean | undefined>

export interface RequestOptions {
  query?: Query
  signal?: AbortSignal
  /** Extra headers for this request. */
  headers?: Record<string, string>
}

export interface HttpTransportOptions {
  /** Where the API is: `https://api.example.com`, or '' for the page's own origin. */
  baseUrl: string
  /**
   * `bearer` (default): keep the token login and register return and send it as
   * `Authorization: Bearer`: cross-site SPAs and native apps. `cookie`: never hold the token in
   * script, rely on the httpOnly cookie (credentials default to 'include'): same-site SPAs only,
   * since browsers drop a SameSite=Lax cookie across sites.
   */
  auth?: 'bearer' | 'cookie'
  /** Sent as `Authorization: Bearer`; login and register set it. */
  token?: string
  fetch?: FetchLike
  /**
   * 'include' sends the cookie to another origin (it must be listed in the server's CORS_ORIGINS,
   * and the cookie must be SameSite=None to cross sites). Default: the platform's ('same-origin').
   */
  credentials?: FetchInit['credentials']
  /** Extra headers on every request. */
  headers?: Record<string, string>
}

const isFormData = (body: unknown): body is FormData =>
  typeof FormData !== 'undefined' && body instanceof FormData

export function queryString(query: Query | undefined): string {
  if (!query) return ''
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v))
  const s = params.toString()
  return s ? `?${s}` : ''
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date), or null. */
export function retryAfterSeconds(value: string | null): number | null {
  if (!value) return null
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds)
  const date = Date.parse(value)
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000))
}

/** The error of an answer with status ≥ 400, from its body (the contract's error shape) when it has one. */
export function answerError(status: number, text: string, retryAfter: string | null): ApiError {
  let parsed: unknown = null
  try {
    parsed = text ? JSON.parse(text) : null
  } catch {
    parsed = text
  }
  const body = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Partial<ErrorBody>
  return new ApiError(
    status,
    typeof body.code === 'string' ? body.code : `HTTP_${status}`,
    typeof body.message === 'string' ? body.message : `HTTP ${status}`,
    parsed,
    retryAfterSeconds(retryAfter),
  )
}

export function networkError(err: unknown): ApiError {
  const aborted = (err as { name?: string } | null)?.name === 'AbortError'
  return new ApiError(
    0,
    aborted ? ClientCodes.ABORTED : ClientCodes.NETWORK,
    err instanceof Error ? err.message : String(err),
    null,
  )
}

export class HttpTransport {
  token: string | undefined
  readonly baseUrl: string
  readonly credentials: FetchInit['credentials'] | undefined
  readonly auth: 'bearer' | 'cookie'
  private readonly fetcher: FetchLike
  private readonly extraHeaders: Record<string, string>

  constructor(options: HttpTransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.token = options.token
    this.auth = options.auth ?? 'bearer'
    this.credentials = options.credentials ?? (this.auth === 'cookie' ? 'include' : undefined)
    this.extraHeaders = options.headers ?? {}
    const global = (globalThis as { fetch?: FetchLike }).fetch
    const fetcher = options.fetch ?? global?.bind(globalThis)
    if (!fetcher) throw new Error('No global fetch here: pass one as the `fetch` option')
    this.fetcher = fetcher
  }

  url(path: string, query?: Query): string {
    return `${this.baseUrl}${path}${queryString(query)}`
  }

  /** The headers of every request: the extra ones, then the Bearer token when there is one. */
  headers(more?: Record<string, string>): Record<string, string> {
    const headers: Record<string, string> = { ...this.extraHeaders, ...more }
    if (this.token) headers.authorization = `Bearer ${this.token}`
    return headers
  }

  /** Sends a request; resolves with the answer whatever its status (network failures reject). */
  async send(
    method: string,
    path: string,
    body: string | FormData | undefined,
    options: RequestOptions = {},
  ) {
    const headers = this.headers({ accept: 'application/json', ...options.headers })
    const init: FetchInit = { method, headers }
    if (typeof body === 'string') headers['content-type'] = 'application/json'
    if (body !== undefined) init.body = body
    if (this.credentials) init.credentials = this.credentials
    if (options.signal) init.signal = options.signal
    try {
      return await this.fetcher(this.url(path, options.query), init)
    } catch (err) {
      throw networkError(err)
    }
  }

  /** JSON in, JSON out; an ApiError for a status ≥ 400. */
  async json<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    const payload = body === undefined ? undefined : isFormData(body) ? body : JSON.stringify(body)
    const res = await this.send(method, path, payload, options)
    let text: string
    try {
      text = await res.text()
    } catch (err) {
      throw networkError(err)
    }
    if (res.status >= 400) throw answerError(res.status, text, res.headers.get('retry-after'))
    if (!text) return null as T
    try {
      return JSON.parse(text) as T
    } catch {
      throw new ApiError(res.status, ClientCodes.NETWORK, 'the answer is not JSON', text)
    }
  }
}
