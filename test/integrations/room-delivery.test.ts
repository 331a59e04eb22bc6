// A room's delivery against a fake store and a fake receiver: events taken from the room's
// notices make the same bytes as from the store, need no store read when each is the next seq,
// and still arrive in order, each once, when a notice is lost, comes out of order or never comes
// (the store fills in); a burst moves the cursor in the store once per interval, in one write
// for every room; a failure is recorded after the cursor of what was delivered before it; the
// cursors that moved are written when the run stops; rooms woken together start in one turn.
import { Registry } from 'prom-client'
import t, { type Test } from 'tap'
import { CursorWrites } from '../../src/integrations/cursor-writes.ts'
import { integrationMetrics } from '../../src/integrations/metrics.ts'
import { fromNotice } from '../../src/integrations/notice.ts'
import { Pacer } from '../../src/integrations/pacer.ts'
import { deliveryBody } from '../../src/integrations/payload.ts'
import { type DeliveryOptions, RoomDelivery } from '../../src/integrations/room-delivery.ts'
import type { Sender } from '../../src/integrations/sender.ts'
import type { RoomNotice } from '../../src/integrations/wakeups.ts'
import type { Logger } from '../../src/logger.ts'
import { messageFrame } from '../../src/realtime/server-frames.ts'
import type { MessageRecord } from '../../src/store/records.ts'
import type { Store } from '../../src/store/store.ts'

const ROOM = 'a'.repeat(24)
const INTEGRATION = 'b'.repeat(24)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const quiet = () => {}
const log: Logger = { debug: quiet, info: quiet, warn: quiet, error: quiet }

const author = {
  id: 'c'.repeat(24),
  username: 'ann',
  displayName: 'Ann "quoted" \u00e9',
  avatar: 'd'.repeat(24),
}

const record = (seq: number, extra: Partial<MessageRecord> = {}): MessageRecord => ({
  id: seq.toString(16).padStart(24, '0'),
  roomId: ROOM,
  seq,
  kind: 'text',
  from: author,
  text: `text ${seq} "kind":"system" \n`,
  file: null,
  clientMsgId: `k${seq}`,
  createdAt: new Date(),
  mentions: [],
  reactions: [],
  ...extra,
})

const noticeOf = (m: MessageRecord): RoomNotice => ({
  seq: m.seq,
  frame: messageFrame(m),
  createdAt: m.createdAt.getTime(),
})

t.test('a body from a notice is the body from the stored record, byte for byte', async (t) => {
  const target = record(7)
  const cases: MessageRecord[] = [
    record(1),
    record(2, {
      kind: 'file',
      text: '',
      file: { id: 'e'.repeat(24), name: 'a.png', size: 3, contentType: 'image/png' },
    }),
    record(3, { kind: 'system', from: null, text: 'ann joined' }),
    record(4, {
      replyTo: { seq: 1, from: author, text: 'quoted' },
      mentions: ['c'.repeat(24)],
      editedAt: new Date(),
    }),
  ]
  for (const m of cases) {
    const made = fromNotice(INTEGRATION, ROOM, m.seq, messageFrame(m))
    t.same(
      made,
      { type: m.kind === 'system' ? 'member' : 'message', body: deliveryBody(INTEGRATION, m) },
      m.kind,
    )
  }
  const edit = record(8, { kind: 'update', target: 7, text: '{"kind":"edit"}', current: target })
  t.same(fromNotice(INTEGRATION, ROOM, 8, messageFrame(edit)), { type: 'update', body: null })
  const pin = record(9, { kind: 'update', target: 7, text: '{"kind":"pin"}', current: target })
  t.same(fromNotice(INTEGRATION, ROOM, 9, messageFrame(pin)), { type: 'pin', body: null })
  t.equal(fromNotice(INTEGRATION, ROOM, 1, '{"type":"other"}'), null)
})

/** The room's stream and the integration's cursor writes, counted. */
function fakeStore() {
  const messages: MessageRecord[] = []
  const state = { ranges: 0, writes: [] as { cursors: { room: string; seq: number }[]; at: number }[] }
  const order: string[] = []
  const store = {
    messages: {
      async range(_room: string, q: { after: number; limit: number }) {
        state.ranges++
        return messages.filter((m) => m.seq > q.after).slice(0, q.limit)
      },
    },
    integrations: {
      async advance(_id: string, cursors: { room: string; seq: number }[]) {
        state.writes.push({ cursors: cursors.map((c) => ({ ...c })), at: Date.now() })
        order.push(`advance ${cursors.map((c) => `${c.room.slice(0, 1)}:${c.seq}`).join(',')}`)
      },
      async failed(_id: string, room: string, error: string) {
        order.push(`failed ${room.slice(0, 1)} ${error}`)
      },
    },
  } as unknown as Pick<Store, 'messages' | 'integrations'>
  return { store, messages, state, order }
}

/** A receiver: every body by seq in arrival order; answers `status` (200 unless told). */
function fakeSender() {
  const got: { seq: number; body: string }[] = []
  const state = { status: 200 }
  const sender = {
    async sendSigned(_url: string, bytes: Buffer) {
      await sleep(0)
      if (state.status !== 200) return { ok: false, error: `HTTP ${state.status}` }
      const body = bytes.toString('utf8')
      got.push({ seq: (JSON.parse(body) as { seq: number }).seq, body })
      return { ok: true, status: 200 }
    },
  } as unknown as Sender
  return { sender, got, state }
}

const OPTIONS: DeliveryOptions = {
  retryMinMs: 10,
  retryMaxMs: 20,
  giveUpMs: 60_000,
  pollMs: 60_000,
  batch: 100,
  flushMs: 200,
}

function delivering(
  t: Test,
  cursor: number,
  options: Partial<DeliveryOptions> & { gatherMs?: number; pacer?: Pacer } = {},
) {
  const store = fakeStore()
  const rx = fakeSender()
  const abort = new AbortController()
  const o = { ...OPTIONS, ...options }
  const cursors = new CursorWrites(store.store, INTEGRATION, o.flushMs, log)
  const target = {
    id: INTEGRATION,
    url: 'http://receiver/',
    secret: 's',
    events: new Set(['message'] as const),
  }
  const deps = {
    store: store.store,
    cursors,
    sender: rx.sender,
    pacer: o.pacer ?? new Pacer(o.gatherMs ?? 0),
    metrics: integrationMetrics(new Registry()),
    log,
    holds: () => true,
    signal: abort.signal,
  }
  const delivery = new RoomDelivery(target, ROOM, cursor, deps, o)
  const stop = async () => {
    abort.abort()
    await delivery.done
    await cursors.close()
  }
  t.teardown(stop)
  /** Stores the next event; with `notify`, tells the delivery as the bus would. */
  const append = (notify = true, extra: Partial<MessageRecord> = {}) => {
    const m = record(store.messages.length + 1, extra)
    store.messages.push(m)
    if (notify) delivery.notice(noticeOf(m))
    return m
  }
  return { ...store, rx, delivery, cursors, append, stop }
}

const until = async (check: () => boolean, what: string, ms = 5000) => {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}
const seqs = (got: { seq: number }[]) => got.map((g) => g.seq)
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

t.test('events from notices: in order, no store read after the first look, one cursor write', async (t) => {
  const d = delivering(t, 0)
  await until(() => d.state.ranges === 1, 'the first look at the store')
  for (let i = 0; i < 50; i++) d.append()
  await until(() => d.rx.got.length === 50, 'every event')
  t.same(seqs(d.rx.got), range(1, 50), 'in seq order, each once')
  t.equal(d.state.ranges, 1, 'nothing read from the store for events whose notice came in order')
  t.same(
    d.rx.got.map((g) => g.body),
    d.messages.map((m) => deliveryBody(INTEGRATION, m)),
    'the bodies the store would have made',
  )
  await until(() => d.state.writes.length > 0, 'the cursor written')
  await sleep(OPTIONS.flushMs * 2)
  t.same(
    d.state.writes.map((w) => w.cursors),
    [[{ room: ROOM, seq: 50 }]],
    'one write for the burst, at its end',
  )
})

t.test('a burst over several intervals: at most one cursor write per interval', async (t) => {
  const d = delivering(t, 0, { flushMs: 100 })
  const started = Date.now()
  for (let i = 0; i < 60; i++) {
    d.append()
    await sleep(10)
  }
  await until(() => d.rx.got.length === 60, 'every event')
  const elapsed = Date.now() - started
  const during = [...d.state.writes]
  t.ok(during.length <= Math.ceil(elapsed / 100) + 1, `${during.length} writes in ${elapsed} ms`)
  for (let i = 1; i < during.length; i++)
    t.ok(during[i]!.at - during[i - 1]!.at >= 90, 'a write per interval at most')
  t.ok(
    during.every((w) => w.cursors.length === 1),
    'one cursor per write for the one room',
  )
  await d.stop()
  t.equal(d.state.writes.at(-1)?.cursors[0]?.seq, 60, 'the last write, at stop, at the end')
})

t.test('a notice lost, out of order, or none at all: the store fills in, order kept', async (t) => {
  const d = delivering(t, 0, { pollMs: 300 })
  await until(() => d.state.ranges === 1, 'the first look')
  d.append()
  d.append()
  d.append(false) // stored, its notice lost
  d.append()
  d.append()
  await until(() => d.rx.got.length === 5, 'every event')
  t.same(seqs(d.rx.got), range(1, 5), 'the lost one read from the store, in its place')
  t.ok(d.state.ranges >= 2, 'the gap read from the store')

  // Two notices the wrong way round (two senders): nothing twice, nothing skipped.
  const a = record(6)
  const b = record(7)
  d.messages.push(a, b)
  d.delivery.notice(noticeOf(b))
  d.delivery.notice(noticeOf(a))
  await until(() => d.rx.got.length === 7, 'both')

  // No notices at all (the bus down): the periodic look delivers them.
  for (let i = 0; i < 3; i++) d.append(false)
  await until(() => d.rx.got.length === 10, 'the events without notices', 3000)
  // A notice repeated, or behind the cursor: ignored.
  d.delivery.notice(noticeOf(d.messages[9]!))
  d.delivery.notice(noticeOf(d.messages[2]!))
  d.append()
  await until(() => d.rx.got.length === 11, 'the next one')
  await sleep(50)
  t.same(seqs(d.rx.got), range(1, 11), 'each once, in seq order')
})

t.test(
  'what the integration does not take moves the cursor; updates it takes come from the store',
  async (t) => {
    const d = delivering(t, 0)
    await until(() => d.state.ranges === 1, 'the first look')
    d.append(true, { kind: 'system', from: null, text: 'ann joined' })
    d.append(true, { kind: 'update', target: 1, text: '{"kind":"edit"}' })
    d.append()
    await until(() => d.rx.got.length === 1, 'the message')
    t.same(seqs(d.rx.got), [3], 'only the message (member and update events not taken)')
    t.equal(d.state.ranges, 1, 'skipped without a store read')
    await d.stop()
    t.same(
      d.state.writes.at(-1)?.cursors,
      [{ room: ROOM, seq: 3 }],
      'the cursor past the skipped ones, written at stop',
    )
  },
)

t.test('a failure is recorded after the cursor of what was delivered before it', async (t) => {
  const d = delivering(t, 0, { flushMs: 60_000 })
  await until(() => d.state.ranges === 1, 'the first look')
  d.append()
  await until(() => d.rx.got.length === 1, 'the first event')
  d.rx.state.status = 500
  d.append()
  await until(() => d.order.some((o) => o.startsWith('failed')), 'the failure recorded')
  t.same(d.order.slice(0, 2), [`advance a:1`, 'failed a HTTP 500'], 'the cursor first, then the error')
  d.rx.state.status = 200
  await until(() => d.rx.got.length === 2, 'the retry accepted')
  await d.stop()
  t.equal(d.order.at(-1), 'advance a:2', 'written at stop (clearing the error)')
})

t.test('rooms woken together start in one turn; a backlog does not wait event by event', async (t) => {
  const pacer = new Pacer(100)
  const a = delivering(t, 0, { pacer })
  const b = delivering(t, 0, { pacer })
  await until(() => a.state.ranges === 1 && b.state.ranges === 1, 'the first looks')
  const sent = Date.now()
  a.append()
  await sleep(30)
  b.append()
  await until(() => a.rx.got.length === 1 && b.rx.got.length === 1, 'both rooms')
  const waited = Date.now() - sent
  t.ok(waited >= 90 && waited < 1000, `held for the turn (${waited} ms), then both at once`)
  const burst = Date.now()
  for (let i = 0; i < 30; i++) a.append()
  await until(() => a.rx.got.length === 31, 'the burst')
  t.ok(Date.now() - burst < 1500, `30 queued events without a turn each (${Date.now() - burst} ms)`)
  t.same(seqs(a.rx.got), range(1, 31))
})
