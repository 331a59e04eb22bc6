// An integration receiver on loopback, as an integrator runs one: it checks each delivery's
// X-Roomchat-Signature against the body's bytes (a bad one is answered 401 and counted), records
// the events per room in the order they arrived, and can be told to answer 500 (or a redirect)
// for a while, or to stop answering.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'

export interface Received {
  integration: string
  room: string
  seq: number
  type: string
  message?: { seq: number; text: string; [k: string]: unknown }
  change?: { kind: string }
  pinned?: boolean
}

export class Receiver {
  /** Per room, every accepted delivery in arrival order (repeats included). */
  readonly rooms = new Map<string, Received[]>()
  /** Deliveries whose signature did not verify. */
  badSignatures = 0
  /** Requests answered with `answer` other than 200 (refused on purpose). */
  refused = 0
  /** What to answer: 200, or a status to refuse with (500, 302…). */
  answer = 200
  private server: Server | null = null

  constructor(private readonly secret: string) {}

  async start(t: Test): Promise<string> {
    this.server = createServer(
      (req, res) => void this.handle(req).then(([status, headers]) => res.writeHead(status, headers).end()),
    )
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r))
    t.teardown(() => this.close())
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`
  }

  private async handle(req: IncomingMessage): Promise<[number, Record<string, string>]> {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const body = Buffer.concat(chunks)
    if (this.answer !== 200) {
      this.refused++
      return [this.answer, this.answer >= 300 && this.answer < 400 ? { location: '/elsewhere' } : {}]
    }
    const expected = Buffer.from(`sha256=${createHmac('sha256', this.secret).update(body).digest('hex')}`)
    const got = Buffer.from(String(req.headers['x-roomchat-signature'] ?? ''))
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      this.badSignatures++
      return [401, {}]
    }
    const event = JSON.parse(body.toString('utf8')) as Received
    const list = this.rooms.get(event.room) ?? []
    list.push(event)
    this.rooms.set(event.room, list)
    return [200, {}]
  }

  /** The room's seqs as received, repeats included. */
  seqs(room: string): number[] {
    return (this.rooms.get(room) ?? []).map((e) => e.seq)
  }

  /** The distinct seqs received for the room. */
  distinct(room: string): Set<number> {
    return new Set(this.seqs(room))
  }

  /**
   * True when the room's deliveries are in order, at least once: each seq either repeats one
   * already received (a redelivery after a cursor not yet saved) or is above every seq before.
   * `expected`, when given, must be exactly the distinct seqs received.
   */
  inOrder(room: string, expected?: number[]): boolean {
    const seqs = this.seqs(room)
    let top = 0
    const seen = new Set<number>()
    for (const s of seqs) {
      if (s <= top && !seen.has(s)) return false
      // A redelivery restarts from the cursor: it replays a run of seqs already seen.
      seen.add(s)
      top = Math.max(top, s)
    }
    if (!expected) return true
    return seen.size === expected.length && expected.every((s) => seen.has(s))
  }

  async close(): Promise<void> {
    const server = this.server
    this.server = null
    if (!server) return
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
  }
}
