// Sends one delivery: `POST url` with the signed body, a time-out for the whole exchange, no
// redirect followed (node:http follows none: a 3xx is an answer like any other non-2xx), and
// every address checked at connect time by the agents' lookup, so a name that resolves to a
// private address is refused at delivery as at creation. Keep-alive agents: one connection per
// receiver carries delivery after delivery.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import http from 'node:http'
import https from 'node:https'
import { isIP, type LookupFunction } from 'node:net'
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

export class Sender {
  private readonly lookup: LookupFunction
  private readonly httpAgent: http.Agent
  private readonly httpsAgent: https.Agent
  private readonly targets = new Map<string, { target: URL; secure: boolean } | { error: string }>()

  constructor(private readonly options: SenderOptions) {
    this.lookup = guardedLookup(options.allowPrivate)
    this.httpAgent = new http.Agent({
      keepAlive: true,
      maxSockets: 64,
      lookup: this.lookup,
    } as http.AgentOptions)
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      maxSockets: 64,
      lookup: this.lookup,
    } as https.AgentOptions)
  }

  /** Posts `body` signed with `secret`; never throws. `signal` aborts (shutdown, lease lost). */
  send(url: string, body: string, secret: string, signal: AbortSignal): Promise<SendResult> {
    const bytes = Buffer.from(body)
    return this.sendSigned(url, bytes, signature(bytes, secret), signal)
  }

  /** Posts `bytes` with their signature, made once by the caller for every attempt; never throws. */
  sendSigned(url: string, bytes: Buffer, signed: string, signal: AbortSignal): Promise<SendResult> {
    const prepared = this.prepare(url)
    if ('error' in prepared) return Promise.resolve({ ok: false, error: prepared.error })
    const { target, secure } = prepared
    return new Promise<SendResult>((resolve) => {
      let settled = false
      const done = (r: SendResult) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        resolve(r)
      }
      const req = (secure ? https : http).request(target, {
        method: 'POST',
        agent: secure ? this.httpsAgent : this.httpAgent,
        lookup: this.lookup,
        headers: {
          'content-type': 'application/json',
          'content-length': bytes.length,
          'user-agent': 'roomchat-integrations',
          [SIGNATURE_HEADER]: signed,
        },
      })
      const timer = setTimeout(() => {
        req.destroy()
        done({ ok: false, error: `no answer within ${this.options.timeoutMs / 1000} s` })
      }, this.options.timeoutMs)
      const onAbort = () => {
        req.destroy()
        done({ ok: false, error: 'stopped' })
      }
      signal.addEventListener('abort', onAbort)
      req.on('response', (res) => {
        const status = res.statusCode ?? 0
        // Read to the end (and dropped) so the connection is kept for the next delivery.
        res.resume()
        res.on('end', () =>
          done(
            status >= 200 && status < 300
              ? { ok: true, status }
              : {
                  ok: false,
                  error:
                    status >= 300 && status < 400
                      ? `HTTP ${status} (redirects are not followed)`
                      : `HTTP ${status}`,
                },
          ),
        )
        res.on('error', (err) => done({ ok: false, error: err.message }))
      })
      req.on('error', (err) => done({ ok: false, error: (err as Error).message }))
      if (signal.aborted) onAbort()
      else req.end(bytes)
    })
  }

  /** The URL parsed and checked once (an integration's URL does not change), not at every event. */
  private prepare(url: string): { target: URL; secure: boolean } | { error: string } {
    const known = this.targets.get(url)
    if (known) return known
    let made: { target: URL; secure: boolean } | { error: string }
    try {
      const target = new URL(url)
      const host = target.hostname.replace(/^\[|\]$/g, '')
      // An address in the URL is connected to without a lookup: checked here.
      made =
        isIP(host) && !this.options.allowPrivate && isPrivateAddress(host)
          ? { error: `${host} is a private address` }
          : { target, secure: target.protocol === 'https:' }
    } catch {
      made = { error: 'invalid url' }
    }
    // A few URLs per instance (one per integration): a full map is simply started again.
    if (this.targets.size >= 1000) this.targets.clear()
    this.targets.set(url, made)
    return made
  }

  close(): void {
    this.httpAgent.destroy()
    this.httpsAgent.destroy()
  }
}
