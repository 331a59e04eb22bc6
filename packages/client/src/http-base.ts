// What every route group of ChatHttp stands on: the transport (fetch, auth, JSON, errors), the
// token, the generic request, where the socket is, and the two health routes.
import { HttpTransport, type HttpTransportOptions, type RequestOptions } from './http-transport.ts'

export type ChatHttpOptions = HttpTransportOptions

export interface Health {
  status: string
}

/** Ids and emojis go into paths encoded. */
export const enc = encodeURIComponent

export class HttpBase {
  protected readonly transport: HttpTransport

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

  /** GET /healthz: the process is alive. */
  health(): Promise<Health> {
    return this.request<Health>('GET', '/healthz')
  }

  /** GET /readyz: the store and the bus answer and the instance is not draining (503 UNAVAILABLE otherwise). */
  ready(): Promise<Health> {
    return this.request<Health>('GET', '/readyz')
  }
}
