// A push service on loopback, as browsers' push services behave (RFC 8030), for the tests: it
// hands out subscriptions made as a browser makes them (a P-256 key pair and a 16-byte auth
// secret, generated here), checks each request's VAPID JWT (RFC 8292) against the server's
// public key, and decrypts each payload (RFC 8291, aes128gcm) with the subscription's private
// key, written out here from the RFCs, independently of the server's library. What it answers
// can be scripted per subscription (a 503 first, a 410 for a gone browser).
import {
  createDecipheriv,
  createECDH,
  createPublicKey,
  type ECDH,
  hkdfSync,
  randomBytes,
  verify,
} from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Received {
  sub: string
  payload: any
  ttl: string | undefined
  urgency: string | undefined
  at: number
}

export interface BrowserSubscription {
  id: string
  endpoint: string
  keys: { p256dh: string; auth: string }
}

interface Sub {
  ecdh: ECDH
  publicKey: Buffer
  auth: Buffer
  /** Statuses to answer, in turn; then 201. */
  script: { status: number; retryAfter?: string }[]
}

const b64 = (b: Buffer) => b.toString('base64url')

export class PushService {
  readonly received: Received[] = []
  /** Requests refused because the VAPID JWT or the encryption was wrong. */
  readonly refused: string[] = []
  /** Every request, accepted or not, per subscription. */
  readonly attempts = new Map<string, number>()
  private readonly subs = new Map<string, Sub>()
  private server!: Server
  private origin = ''
  private n = 0

  /** `vapidKey`: the server's VAPID public key (base64url), as GET /api/push/key gives it. */
  constructor(private vapidKey = '') {}

  setVapidKey(key: string) {
    this.vapidKey = key
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const { status, headers } = this.handle(req, Buffer.concat(chunks))
        res.writeHead(status, headers).end()
      })
    })
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r))
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise((r) => this.server.close(r))
  }

  /** A new browser's subscription (what `PushSubscription.toJSON()` gives), answering `script` first. */
  subscription(script: Sub['script'] = []): BrowserSubscription {
    const id = `s${++this.n}`
    const ecdh = createECDH('prime256v1')
    ecdh.generateKeys()
    const sub: Sub = { ecdh, publicKey: ecdh.getPublicKey(), auth: randomBytes(16), script: [...script] }
    this.subs.set(id, sub)
    return {
      id,
      endpoint: `${this.origin}/push/${id}`,
      keys: { p256dh: b64(sub.publicKey), auth: b64(sub.auth) },
    }
  }

  /** Subscription `id` answers these next (404 and 410 say it is gone). */
  script(id: string, script: Sub['script']) {
    this.subs.get(id)!.script.push(...script)
  }

  of(id: string): Received[] {
    return this.received.filter((r) => r.sub === id)
  }

  private handle(req: IncomingMessage, body: Buffer): { status: number; headers: Record<string, string> } {
    const id = (req.url ?? '').split('/').pop()!
    const sub = this.subs.get(id)
    this.attempts.set(id, (this.attempts.get(id) ?? 0) + 1)
    if (!sub || req.method !== 'POST') return { status: 404, headers: {} }
    const problem = this.checkVapid(req)
    if (problem) {
      this.refused.push(problem)
      return { status: 403, headers: {} }
    }
    if (req.headers['content-encoding'] !== 'aes128gcm' || req.headers.ttl === undefined) {
      this.refused.push(`headers: ${JSON.stringify(req.headers)}`)
      return { status: 400, headers: {} }
    }
    const next = sub.script.shift()
    if (next && (next.status < 200 || next.status > 299))
      return { status: next.status, headers: next.retryAfter ? { 'retry-after': next.retryAfter } : {} }
    let payload: unknown
    try {
      payload = JSON.parse(decrypt(sub, body).toString('utf8'))
    } catch (err) {
      this.refused.push(`decrypt: ${(err as Error).message}`)
      return { status: 400, headers: {} }
    }
    this.received.push({
      sub: id,
      payload,
      ttl: req.headers.ttl as string | undefined,
      urgency: req.headers.urgency as string | undefined,
      at: Date.now(),
    })
    return { status: next?.status ?? 201, headers: {} }
  }

  /** RFC 8292: `vapid t=JWT, k=KEY`, the key the server publishes, ES256 over the JWT, aud/exp/sub. */
  private checkVapid(req: IncomingMessage): string | null {
    const auth = String(req.headers.authorization ?? '')
    const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(auth)
    if (!m) return `no vapid authorization: ${auth}`
    const [, jwt, k] = m as unknown as [string, string, string]
    if (k !== this.vapidKey) return 'k is not the key of GET /api/push/key'
    const [h, p, s] = jwt.split('.')
    if (!h || !p || !s) return 'malformed JWT'
    const header = JSON.parse(Buffer.from(h, 'base64url').toString())
    if (header.alg !== 'ES256') return `alg ${header.alg}`
    const raw = Buffer.from(k, 'base64url')
    const key = createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: b64(raw.subarray(1, 33)), y: b64(raw.subarray(33, 65)) },
      format: 'jwk',
    })
    const ok = verify(
      'sha256',
      Buffer.from(`${h}.${p}`),
      { key, dsaEncoding: 'ieee-p1363' },
      Buffer.from(s, 'base64url'),
    )
    if (!ok) return 'bad JWT signature'
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString())
    if (claims.aud !== this.origin) return `aud ${claims.aud}`
    const now = Date.now() / 1000
    if (!(claims.exp > now && claims.exp <= now + 24 * 3600 + 60)) return `exp ${claims.exp}`
    if (!/^(mailto:|https:)/.test(String(claims.sub))) return `sub ${claims.sub}`
    return null
  }
}

/** RFC 8291 + RFC 8188: one record, aes128gcm, decrypted with the browser's private key. */
function decrypt(sub: Sub, body: Buffer): Buffer {
  const salt = body.subarray(0, 16)
  const idlen = body[20]!
  const asPublic = body.subarray(21, 21 + idlen)
  const record = body.subarray(21 + idlen)
  const secret = sub.ecdh.computeSecret(asPublic)
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), sub.publicKey, asPublic])
  const ikm = Buffer.from(hkdfSync('sha256', secret, sub.auth, keyInfo, 32))
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16))
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12))
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce)
  decipher.setAuthTag(record.subarray(record.length - 16))
  const plain = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()])
  // Padding: the last record ends with 0x02 and then zeros.
  let end = plain.length - 1
  while (end >= 0 && plain[end] === 0) end--
  if (plain[end] !== 2) throw new Error('no last-record delimiter')
  return plain.subarray(0, end)
}
