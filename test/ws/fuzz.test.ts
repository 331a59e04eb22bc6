// Hostile input on the socket: at least 10,000 malformed or hostile frames over many connections,
// on the backend the run selects. The server must answer each one with an error frame (BAD_FRAME,
// or NOT_MEMBER / NOT_FOUND for well-formed frames about rooms one may not use), or close with
// 1008 past the limits; it must never crash nor answer INTERNAL, and it must keep serving a
// well-behaved pair of sockets, in order, all along.
//
// The frames come from a seeded PRNG: a failure is reproduced with FUZZ_SEED=<the printed seed>.
import t, { type Test } from 'tap'
import type { App } from '../../src/app.ts'
import { call, loginAdmin, newUser } from '../helpers/api.ts'
import { backendName, buildTestApp, sharedEnv } from '../helpers/app.ts'
import { connect, listen, type RawSocket } from '../helpers/ws.ts'

const MAX_FRAME = 64 * 1024 // WS_MAX_FRAME_BYTES' default, which the fuzz app keeps
const MAX_BAD = 20 // bad frames a connection may send; the next one closes it
const TARGET = Number(process.env.FUZZ_FRAMES ?? 10_000)
const LANES = 4 // connections fuzzing at once
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))

/** mulberry32: small, fast, good enough to pick frames reproducibly. */
function prng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!
  return { next, int, pick }
}
type Rng = ReturnType<typeof prng>

/**
 * What the server must do with a frame: `bad` gets a BAD_FRAME error at once (and counts toward
 * the close); `big` closes with 1008 (over the size limit); `utf8` is a text frame that is not
 * UTF-8, which the WebSocket layer itself closes with 1007 (RFC 6455); `ping` gets a pong; `ok`
 * is well-formed: an answer or none, but never a BAD_FRAME nor a close.
 */
type Expect = 'bad' | 'big' | 'utf8' | 'ping' | 'ok'
interface Fuzz {
  data: string | Buffer
  binary?: boolean
  expect: Expect
}

interface Rooms {
  /** The fuzzing user is a member of it. */
  own: string
  /** Rooms that exist and the fuzzing user is not in. */
  foreign: string[]
}

const hex = (rng: Rng, n: number) => Array.from({ length: n }, () => '0123456789abcdef'[rng.int(16)]).join('')
const junkChars = '{}[]":,\\ntrufalse0123456789.-+eE \u0000\u00ff\ud800\udfff\u200b\u202e👋'
const junk = (rng: Rng, n: number) =>
  Array.from({ length: n }, () => junkChars[rng.int(junkChars.length)]).join('')
const garbage = (rng: Rng) =>
  rng.pick([
    '\ud800',
    '\udfff\ud800',
    '\u0000',
    '\u202e\u202d',
    '\ufeff',
    'Z͑ͫ̓ͪ̂ͫ̽͏̴̙̤̞͉͚̯̞̠͍A̴̵̜̰͔ͫ͗͢L̠ͨͧͩ͘G̴̻͈͍͔̹̑͗̎̅͛́Ǫ̵̹̻̝̳͂̌̌͘',
    '👩‍👩‍👧‍👦'.repeat(3),
    '\u{10ffff}',
    '\uffff\ufffe',
    'ｆｕｌｌｗｉｄｔｈ',
  ])
const badIds: unknown[] = [
  'zzz',
  '',
  '0'.repeat(23),
  '0'.repeat(25),
  'G'.repeat(24),
  'ABCDEF0123456789ABCDEF01',
  '../../etc/passwd',
  '$where',
  { $gt: '' },
  ['0'.repeat(24)],
  null,
  12345,
  true,
  `${'0'.repeat(24)}\u0000`,
]

/** One hostile frame, with what the server must do with it. */
function fuzzFrame(rng: Rng, rooms: Rooms): Fuzz {
  const anyRoom = () => rng.pick([rooms.own, ...rooms.foreign, hex(rng, 24)])
  const cid = () => `fz-${rng.int(40)}`
  const j = (v: unknown): Fuzz => ({ data: JSON.stringify(v), expect: 'bad' })
  switch (rng.int(22)) {
    case 0: // not JSON at all
      return { data: junk(rng, 1 + rng.int(80)), expect: 'bad' }
    case 1: // truncated JSON
      return {
        data: JSON.stringify({ type: 'send', room: rooms.own, clientMsgId: cid(), text: 'x' }).slice(
          0,
          1 + rng.int(40),
        ),
        expect: 'bad',
      }
    case 2: // JSON, but not a frame object
      return {
        data: rng.pick(['null', '[]', '42', '"join"', 'true', '{}', '[{"type":"ping"}]', '-0', '1e999']),
        expect: 'bad',
      }
    case 3: // unknown or mistyped `type`
      return j({
        type: rng.pick([
          'hello',
          'JOIN',
          'Ping',
          '__proto__',
          'constructor',
          'ping\u0000',
          ' ping',
          7,
          null,
          ['ping'],
          { ping: 1 },
        ]),
      })
    case 4: // fields of the wrong type
      return j(
        rng.pick([
          { type: 'join', room: 123 },
          { type: 'join' },
          { type: 'send', room: rooms.own, clientMsgId: 5, text: 'x' },
          { type: 'send', room: rooms.own, clientMsgId: cid(), text: ['x'] },
          { type: 'send', room: rooms.own, clientMsgId: cid(), text: '' },
          { type: 'send', room: rooms.own, clientMsgId: cid() },
          { type: 'send', room: rooms.own, text: 'no id' },
          { type: 'typing', room: null },
          { type: 'leave', room: {} },
        ]),
      )
    case 5: // ids that are not ids
      return j({ type: rng.pick(['join', 'leave', 'typing']), room: rng.pick(badIds) })
    case 6: // a send with a bad id
      return j({ type: 'send', room: rng.pick(badIds), clientMsgId: cid(), text: 'hi' })
    case 7: // bad `since`: negative, float, a string, not finite once parsed
      return {
        data: `{"type":"join","room":"${rooms.own}","since":${rng.pick(['-1', '1.5', '"5"', '-1e9', '1e400', 'null', '[1]', '0.0000001'])}}`,
        expect: 'bad',
      }
    case 8: // huge but integral `since` (a client's bad memory): well-formed, clamped by the server
      return {
        data: `{"type":"join","room":"${rooms.own}","since":${rng.pick(['1e20', '9007199254740993', '2147483648', '-0', '0'])}}`,
        expect: 'ok',
      }
    case 9: // bad clientMsgId
      return j({
        type: 'send',
        room: rooms.own,
        clientMsgId: rng.pick(['', 'a'.repeat(65), 'has space', '<script>', 'ü', '\u0000', 7]),
        text: 'hi',
      })
    case 10: // text too long (over 4000 by any count)
      return j({ type: 'send', room: rooms.own, clientMsgId: cid(), text: 'x'.repeat(4001 + rng.int(8000)) })
    case 11: // over WS_MAX_FRAME_BYTES, under the 4x the WebSocket layer refuses (each ends its connection)
      if (rng.next() < 0.6) return { data: junk(rng, 1 + rng.int(80)), expect: 'bad' }
      return {
        data: JSON.stringify({
          type: 'send',
          room: rooms.own,
          clientMsgId: cid(),
          text: 'y'.repeat(MAX_FRAME + rng.int(MAX_FRAME * 2)),
        }),
        expect: 'big',
      }
    case 12: // prototype pollution: own `__proto__` / `constructor` keys are plain data
      return rng.pick<Fuzz>([
        { data: '{"__proto__":{"type":"ping"}}', expect: 'bad' },
        { data: '{"type":"ping","__proto__":{"polluted":true,"type":"join"}}', expect: 'ping' },
        { data: '{"type":"ping","constructor":{"prototype":{"polluted":true}}}', expect: 'ping' },
        {
          data: `{"type":"join","room":"${rooms.own}","__proto__":{"isAdmin":true,"polluted":1}}`,
          expect: 'ok',
        },
        { data: '{"constructor":{"prototype":{"type":"ping"}}}', expect: 'bad' },
        { data: `{"type":"leave","room":{"__proto__":"${rooms.own}"}}`, expect: 'bad' },
      ])
    case 13: // binary frames, even ones holding a valid frame
      return {
        data:
          rng.next() < 0.5
            ? Buffer.from('{"type":"ping"}')
            : Buffer.from(Array.from({ length: rng.int(200) }, () => rng.int(256))),
        binary: true,
        expect: 'bad',
      }
    case 14: // empty frames
      return rng.next() < 0.5
        ? { data: '', expect: 'bad' }
        : { data: Buffer.alloc(0), binary: true, expect: 'bad' }
    case 15: {
      // deeply nested JSON, within the size limit
      const depth = 100 + rng.int(2500)
      return rng.pick<Fuzz>([
        { data: '['.repeat(depth) + ']'.repeat(depth), expect: 'bad' },
        { data: `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`, expect: 'bad' },
        { data: `{"type":"ping","x":${'['.repeat(depth)}${']'.repeat(depth)}}`, expect: 'ping' },
        { data: `{"type":${'['.repeat(depth)}${']'.repeat(depth)}}`, expect: 'bad' },
      ])
    }
    case 16: // unicode garbage in well-formed frames (stored as text in the fuzzer's own room)
      return rng.pick<Fuzz>([
        {
          data: JSON.stringify({ type: 'send', room: rooms.own, clientMsgId: cid(), text: garbage(rng) }),
          expect: 'ok',
        },
        { data: JSON.stringify({ type: garbage(rng) }), expect: 'bad' },
        { data: JSON.stringify({ type: 'join', room: garbage(rng) }), expect: 'bad' },
      ])
    case 17: // not UTF-8 at all, in a text frame (each ends its connection, so now and then)
      if (rng.next() < 0.7) return { data: junk(rng, 1 + rng.int(80)), expect: 'bad' }
      return { data: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]), expect: 'utf8' }
    case 18: // valid frames about rooms one may not use (NOT_MEMBER) or that do not exist (NOT_FOUND)
      return {
        data: JSON.stringify(
          rng.pick([
            { type: 'join', room: anyRoom() },
            { type: 'join', room: anyRoom(), since: rng.int(100) },
            { type: 'send', room: anyRoom(), clientMsgId: cid(), text: 'let me in' },
            { type: 'typing', room: anyRoom() },
            { type: 'leave', room: anyRoom() },
          ]),
        ),
        expect: 'ok',
      }
    case 19: // valid frames with extra fields
      return rng.pick<Fuzz>([
        { data: JSON.stringify({ type: 'ping', extra: hex(rng, 8), role: 'admin' }), expect: 'ping' },
        {
          data: JSON.stringify({
            type: 'send',
            room: rooms.own,
            clientMsgId: cid(),
            text: 'extra',
            from: 'admin',
            seq: 1,
          }),
          expect: 'ok',
        },
        {
          data: JSON.stringify({ type: 'join', room: rooms.own, since: 0, user: hex(rng, 24) }),
          expect: 'ok',
        },
        { data: JSON.stringify({ type: 'typing', room: rooms.own, user: hex(rng, 24) }), expect: 'ok' },
      ])
    case 20: // duplicate keys: the last one wins
      return rng.pick<Fuzz>([
        { data: '{"type":"join","type":"ping"}', expect: 'ping' },
        { data: '{"type":"ping","type":"join"}', expect: 'bad' },
      ])
    default:
      return { data: '{"type":"ping"}', expect: 'ping' }
  }
}

/** Error codes a hostile but well-formed frame may earn. INTERNAL would mean the server broke. */
// JOIN_IN_PROGRESS: a join of the fuzzer's room sent while another of it still runs.
const ALLOWED_ERRORS = new Set([
  'BAD_FRAME',
  'NOT_MEMBER',
  'NOT_FOUND',
  'VALIDATION',
  'RATE_LIMITED',
  'JOIN_IN_PROGRESS',
])

interface Tally {
  processed: number
  connections: number
  /** `code reason` → count */
  closes: Map<string, number>
  errors: Map<string, number>
  joinedLastSeq: number
  problems: string[]
}

const bump = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1)

/** One connection's worth of fuzz: frames until it is closed, or a batch and then a clean close. */
async function fuzzConnection(
  url: string,
  token: string,
  rng: Rng,
  rooms: Rooms,
  tally: Tally,
): Promise<void> {
  const frames = Array.from({ length: 5 + rng.int(40) }, () => fuzzFrame(rng, rooms))
  // Where the server must close, by replaying its rules: size first, then UTF-8, then the count.
  let bad = 0
  let closeAt = -1
  let closeCode = 0
  let pings = 0
  for (const [i, f] of frames.entries()) {
    if (f.expect === 'big') [closeAt, closeCode] = [i, 1008]
    else if (f.expect === 'utf8') [closeAt, closeCode] = [i, 1007]
    else if (f.expect === 'bad' && ++bad > MAX_BAD) [closeAt, closeCode] = [i, 1008]
    else if (f.expect === 'ping') pings++
    if (closeAt >= 0) break
  }
  const sent = closeAt >= 0 ? frames.slice(0, closeAt + 1) : frames
  const badAnswered =
    sent.filter((f) => f.expect === 'bad').length -
    (closeCode === 1008 && sent.at(-1)?.expect === 'bad' ? 1 : 0)

  const s: RawSocket = await connect(url, { token })
  tally.connections++
  for (const f of sent) s.ws.send(f.data, { binary: f.binary ?? false })
  tally.processed += sent.length
  const where = () => `connection ${tally.connections}, frames ${JSON.stringify(sent.map((f) => f.expect))}`
  if (closeAt >= 0) {
    const closed = await s.waitClosed(20_000).catch(() => null)
    if (!closed) tally.problems.push(`not closed (${where()})`)
    else {
      bump(tally.closes, `${closed.code} ${closed.reason}`)
      if (closed.code !== closeCode)
        tally.problems.push(`closed ${closed.code} ${closed.reason}, not ${closeCode} (${where()})`)
    }
  } else {
    s.send({ type: 'ping' }) // answered after everything before it that is answered at once
    const pongs = await s.collect('pong', pings + 1, 20_000).catch((err) => {
      tally.problems.push(`${String(err)} (${where()})`)
      return []
    })
    if (pongs.length > pings + 1)
      tally.problems.push(`${pongs.length} pongs for ${pings + 1} pings (${where()})`)
    // Late answers to well-formed frames about rooms (store look-ups) come after the pong.
    await new Promise((r) => setTimeout(r, 20))
  }
  const badFrames = s.frames.filter((f) => f.type === 'error' && f.code === 'BAD_FRAME').length
  if (badFrames !== badAnswered)
    tally.problems.push(`${badFrames} BAD_FRAME errors for ${badAnswered} bad frames (${where()})`)
  for (const f of s.frames) {
    if (f.type === 'error') {
      bump(tally.errors, f.code)
      if (!ALLOWED_ERRORS.has(f.code)) tally.problems.push(`error ${JSON.stringify(f)} (${where()})`)
    } else if (f.type === 'joined') {
      if (f.room !== rooms.own) tally.problems.push(`joined a room it is not in: ${JSON.stringify(f)}`)
      tally.joinedLastSeq = Math.max(tally.joinedLastSeq, f.lastSeq)
    } else if (f.type === 'message' && f.message.room !== rooms.own) {
      tally.problems.push(`got a message of a room it is not in: ${JSON.stringify(f).slice(0, 200)}`)
    }
  }
  if (!s.closed) s.close()
}

/** Two well-behaved sockets in a room of their own, taking turns to send; checked in order. */
class Pair {
  sent = 0
  private turn = 0
  constructor(
    readonly sockets: [RawSocket, RawSocket],
    readonly room: string,
  ) {}

  async exchange(label: string): Promise<void> {
    const s = this.sockets[this.turn++ % 2]!
    const cid = `${label}-${this.sent++}`
    s.send({ type: 'send', room: this.room, clientMsgId: cid, text: `${label} 👋` })
    await s.next((f) => f.type === 'ack' && f.clientMsgId === cid, 30_000)
  }

  /** Both sockets got every message, seqs 1..sent in order, and nothing but what the pair sent. */
  async check(t: Test, label: string): Promise<void> {
    for (const [i, s] of this.sockets.entries()) {
      await s.collect('message', this.sent, 30_000)
      const seqs = s.messages(this.room).map((m) => m.seq)
      t.same(
        seqs,
        Array.from({ length: this.sent }, (_, k) => k + 1),
        `${label}: socket ${i + 1} got 1..${this.sent} in order`,
      )
      t.same(
        s.frames.filter((f) => f.type === 'error'),
        [],
        `${label}: socket ${i + 1} got no error`,
      )
      t.equal(s.closed, null, `${label}: socket ${i + 1} is still open`)
    }
  }
}

async function healthy(app: App): Promise<number> {
  return (await call(app, 'GET', '/healthz')).status
}

t.test(`fuzzing the socket on ${backendName}`, async (t) => {
  t.comment(`fuzz seed ${SEED} (reproduce with FUZZ_SEED=${SEED})`)
  console.error(`fuzz seed ${SEED} (reproduce with FUZZ_SEED=${SEED})`)
  const shared = sharedEnv(t, { WS_FRAMES_PER_SECOND: '100000', RATE_MESSAGE_USER: '100000' })
  const app = await buildTestApp(t, shared)
  const url = await listen(app)
  const admin = await loginAdmin(app)
  const makeRoom = async (name: string) =>
    (await call(app, 'POST', '/api/rooms', { as: admin, body: { name } })).body.room.id as string
  const [pairRoom, sandbox, privateRoom] = [
    await makeRoom('Pair'),
    await makeRoom('Sandbox'),
    await makeRoom('Private'),
  ]
  const alice = await newUser(app)
  const bob = await newUser(app)
  const mallory = await newUser(app)
  for (const [u, r] of [
    [alice, pairRoom],
    [bob, pairRoom],
    [mallory, sandbox],
  ] as const)
    t.equal((await call(app, 'POST', `/api/rooms/${r}/join`, { as: u })).status, 200)
  const rooms: Rooms = { own: sandbox, foreign: [pairRoom, privateRoom] }

  const pa = await connect(url, { token: alice.token })
  const pb = await connect(url, { token: bob.token })
  t.teardown(() => {
    pa.close()
    pb.close()
  })
  for (const s of [pa, pb]) {
    s.send({ type: 'join', room: pairRoom })
    await s.next((f) => f.type === 'joined', 10_000)
  }
  const pair = new Pair([pa, pb], pairRoom)
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort()

  const tally: Tally = {
    processed: 0,
    connections: 0,
    closes: new Map(),
    errors: new Map(),
    joinedLastSeq: 0,
    problems: [],
  }
  const started = Date.now()
  let fuzzing = true
  // The pair talks all along, and the app answers /healthz all along.
  const talk = (async () => {
    let health = 0
    while (fuzzing) {
      await pair.exchange('during')
      if (++health % 10 === 0 && (await healthy(app)) !== 200)
        throw new Error('/healthz failed during the fuzz')
    }
  })()
  const lanes = Array.from({ length: LANES }, async (_, lane) => {
    const rng = prng(SEED + lane)
    while (tally.processed < TARGET && tally.problems.length < 20)
      await fuzzConnection(url, mallory.token, rng, rooms, tally)
  })
  await Promise.all(lanes).finally(() => {
    fuzzing = false
  })
  await talk
  const ms = Date.now() - started
  t.comment(
    `${tally.processed} frames over ${tally.connections} connections in ${ms} ms; closes ${JSON.stringify(Object.fromEntries(tally.closes))}; errors ${JSON.stringify(Object.fromEntries(tally.errors))}; the pair exchanged ${pair.sent} messages meanwhile`,
  )
  t.ok(tally.processed >= TARGET, `${tally.processed} hostile frames sent`)
  t.same(tally.problems.slice(0, 10), [], 'every frame got the answer the protocol promises')
  t.ok((tally.closes.get('1008 too many bad frames') ?? 0) > 0, 'the 21st bad frame closes with 1008')
  t.ok(
    (tally.closes.get('1008 frame too large') ?? 0) > 0,
    'a frame over WS_MAX_FRAME_BYTES closes with 1008',
  )
  t.ok(pair.sent > 0, 'the pair exchanged messages during the fuzz')
  t.equal(await healthy(app), 200, 'the app is up')

  // After: the pair still talks, in order; nothing leaked into its room; nothing was polluted.
  for (let i = 0; i < 10; i++) await pair.exchange('after')
  await pair.check(t, 'the well-behaved pair')
  t.same(Object.getOwnPropertyNames(Object.prototype).sort(), prototypeKeys, 'Object.prototype is untouched')
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no polluted property anywhere')
  const sandboxView = (await call(app, 'GET', `/api/rooms/${sandbox}`, { as: mallory })).body.room
  t.ok(
    tally.joinedLastSeq <= sandboxView.lastSeq,
    `a huge since was clamped (joined at most at ${sandboxView.lastSeq})`,
  )
  const history = await call(app, 'GET', `/api/rooms/${sandbox}/messages?limit=200`, { as: mallory })
  t.equal(history.status, 200, 'the garbage stored in the sandbox reads back')
  const ids = history.body.items.map((m: { clientMsgId: string }) => m.clientMsgId)
  t.equal(new Set(ids).size, ids.length, 'a repeated clientMsgId was stored once')
  // Every fuzz connection is gone from the hub, and so is every room only they followed (a join
  // racing its socket's close included: the hub's sweep drops such a room within seconds).
  const deadline = Date.now() + 10_000
  const settled = () => app.core.hub.socketCount() === 2 && app.core.hub.snapshot().rooms === 1
  while (!settled() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  t.equal(app.core.hub.socketCount(), 2, 'only the pair is left in the hub')
  t.equal(app.core.hub.snapshot().rooms, 1, 'and only its room is followed')
})

t.test(`the default frame rate closes a flooding socket with 1008 on ${backendName}`, async (t) => {
  const shared = sharedEnv(t)
  delete shared.env.WS_FRAMES_PER_SECOND // the default, whatever the test environment raises
  const app = await buildTestApp(t, shared)
  const url = await listen(app)
  const user = await newUser(app)
  const calm = await connect(url, { token: user.token })
  const flood = await connect(url, { token: user.token })
  t.teardown(() => {
    calm.close()
    flood.close()
  })
  // 20 frames per second with bursts of 40 by default: 100 at once is a flood.
  for (let i = 0; i < 100; i++) flood.send({ type: 'ping' })
  const closed = await flood.waitClosed(10_000)
  t.equal(closed.code, 1008)
  t.match(closed.reason, /too many frames/)
  const pongs = flood.frames.filter((f) => f.type === 'pong').length
  t.ok(pongs >= 35 && pongs <= 41, `${pongs} pongs before the close (the burst allowance)`)
  // A socket that keeps under the rate is never closed.
  for (let i = 0; i < 15; i++) {
    calm.send({ type: 'ping' })
    await new Promise((r) => setTimeout(r, 100))
  }
  await calm.collect('pong', 15, 10_000)
  t.equal(calm.closed, null, 'a socket under the rate stays open')
  t.equal(await healthy(app), 200)
})

t.test(`hostile join patterns on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const url = await listen(app)
  const admin = await loginAdmin(app)
  const user = await newUser(app)
  const makeRoom = async (name: string) => {
    const id = (await call(app, 'POST', '/api/rooms', { as: admin, body: { name } })).body.room.id as string
    t.equal((await call(app, 'POST', `/api/rooms/${id}/join`, { as: user })).status, 200)
    return id
  }
  const room = await makeRoom('Busy')
  const quiet = await makeRoom('Quiet')
  const sender = await connect(url, { token: admin.token })
  t.teardown(() => sender.close())
  sender.send({ type: 'join', room })
  await sender.next((f) => f.type === 'joined', 10_000)
  const say = async (cid: string) => {
    sender.send({ type: 'send', room, clientMsgId: cid, text: cid })
    await sender.next((f) => f.type === 'ack' && f.clientMsgId === cid, 10_000)
  }
  for (const cid of ['one', 'two', 'three']) await say(cid)

  await t.test(
    'joins of one room sent at once: the first runs, the others are refused, and the socket stays live',
    async (t) => {
      const s = await connect(url, { token: user.token })
      t.teardown(() => s.close())
      // In one write: the later ones are read while the first is under way.
      const raw = (s.ws as unknown as { _socket: { cork(): void; uncork(): void } })._socket
      raw.cork()
      s.send({ type: 'join', room, since: 1e20 })
      s.send({ type: 'join', room, since: 1 })
      s.send({ type: 'join', room, since: 1e20 })
      raw.uncork()
      const [joined] = await s.collect('joined', 1, 10_000)
      t.equal(joined!.lastSeq, 3, 'a `since` past the end is clamped to the last seq')
      const refused = await s.collect('error', 2, 10_000)
      t.same(
        refused.map((f) => [f.code, f.ref]),
        [
          ['JOIN_IN_PROGRESS', room],
          ['JOIN_IN_PROGRESS', room],
        ],
        'the two sent while it ran are refused, not queued',
      )
      await say('four')
      await s.next((f) => f.type === 'message' && f.message.seq === 4, 10_000)
      s.send({ type: 'join', room, since: 1 })
      t.equal((await s.collect('joined', 2, 10_000)).length, 2, 'a join once the first was answered runs')
      await say('five')
      await s.next((f) => f.type === 'message' && f.message.seq === 5, 10_000)
      await new Promise((r) => setTimeout(r, 200))
      t.same(
        s.messages(room).map((m) => m.seq),
        [4, 2, 3, 4, 5],
        'live after the first join; the later join replays from its since, then live again',
      )
    },
  )

  await t.test('a join racing its socket’s close leaves no followed room behind', async (t) => {
    const before = app.core.hub.snapshot().rooms
    for (let i = 0; i < 20; i++) {
      const s = await connect(url, { token: user.token })
      s.send({ type: 'join', room: quiet })
      s.ws.terminate()
    }
    const deadline = Date.now() + 10_000
    while (app.core.hub.snapshot().rooms > before && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50))
    t.equal(app.core.hub.snapshot().rooms, before, 'only the rooms with live sockets are followed')
  })
})
