// Sends one delivery: `POST url` with the signed body, time-outs for the connect, the answer's
// headers and its body, no redirect followed (undici's Agent follows none: a 3xx is an answer
// like any other non-2xx), and every address checked at connect time by the connector's lookup,
// so a name that resolves to a private address is refused at delivery as at creation. One
// keep-alive pool per receiver carries delivery after delivery; undici rather than node:http
// because a request costs it less CPU (bench/RESULTS.md, integrations).
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'
import { Agent } from 'undici'
import { isPrivateAddress } from './addresses.ts'
import { SIGNATURE_HEADER, signature } from './payload.ts'

export type SendResult = { ok: true; status: number } | { ok: false; error: string }

/** A lookup that refuses a name any of whose addresses is private (unless allowed). */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0)
      const bad = addresses.find((a) => isPrivateAddress(a.address))
      if (bad && !allowPrivate) {
        const refused = Object.assign(
          new Error(`${hostname} resolves to a private address (${bad.address})`),
          {
            code: 'EPRIVATE',
          },
        )
        return callback(refused, '', 0)
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses)
      const first = addresses[0]
      if (!first)
        return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0)
      callback(null, first.address, first.family)
    })
  }
}

export interface SenderOptions {
  timeoutMs: number
  allowPrivate: boolean
}

/** undici's errors of a request that got no answer in time. */
const TIMED_OUT = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

export class Sender {
  private readonly lookup: LookupFunction
  private readonly agent: Agent
  private readonly targets = new Map<string, { origin: string; path: string } | { error: string }>()

  constructor(private readonly options: SenderOptions) {
    this.lookup = guardedLookup(options.allowPrivate)
    this.agent = new Agent({
      connections: 64,
      connect: { lookup: this.lookup, timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      maxRedirections: 0,
    })
  }

  /** Posts `body` signed with `secret`; never throws. `signal` aborts (shutdown, lease lost). */
  send(url: string, body: string, secret: string, signal: AbortSignal): Promise<SendResult> {
    const bytes = Buffer.from(body)
    return this.sendSigned(url, bytes, signature(bytes, secret), signal)
  }

  /** Posts `bytes` with their signature, made once by the caller for every attempt; never throws. */
  async sendSigned(url: string, bytes: Buffer, signed: string, signal: AbortSignal): Promise<SendResult> {
    const prepared = this.prepare(url)
    if ('error' in prepared) return { ok: false, error: prepared.error }
    if (signal.aborted) return { ok: false, error: 'stopped' }
    try {
      const res = await this.agent.request({
        origin: prepared.origin,
        path: prepared.path,
        method: 'POST',
        headers: [
          'content-type',
          'application/json',
          'user-agent',
          'roomchat-integrations',
          SIGNATURE_HEADER,
          signed,
        ],
        body: bytes,
        signal,
      })
      // Read to the end (and dropped) so the connection is kept for the next delivery.
      await res.body.dump()
      const status = res.statusCode
      if (status >= 200 && status < 300) return { ok: true, status }
      return {
        ok: false,
        error:
          status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`,
      }
    } catch (err) {
      if (signal.aborted) return { ok: false, error: 'stopped' }
      const e = err as { code?: string; message?: string; cause?: { message?: string } }
      if (e.code && TIMED_OUT.has(e.code))
        return { ok: false, error: `no answer within ${this.options.timeoutMs / 1000} s` }
      return { ok: false, error: e.cause?.message ?? e.message ?? String(err) }
    }
  }

  /** The URL parsed and checked once (an integration's URL does not change), not at every event. */
  private prepare(url: string): { origin: string; path: string } | { error: string } {
    const known = this.targets.get(url)
    if (known) return known
    let made: { origin: string; path: string } | { error: string }
    try {
      const target = new URL(url)
      const host = target.hostname.replace(/^\[|\]$/g, '')
      // An address in the URL is connected to without a lookup: checked here.
      made =
        isIP(host) && !this.options.allowPrivate && isPrivateAddress(host)
          ? { error: `${host} is a private address` }
          : { origin: target.origin, path: `${target.pathname}${target.search}` }
    } catch {
      made = { error: 'invalid url' }
    }
    // A few URLs per instance (one per integration): a full map is simply started again.
    if (this.targets.size >= 1000) this.targets.clear()
    this.targets.set(url, made)
    return made
  }

  close(): void {
    void this.agent.destroy().catch(() => {})
  }
}
