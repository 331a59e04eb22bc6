// The client's pure parts: in-order exactly-once delivery per room, and backoff delays.

import { backoffDelay, defaultBackoff, type Message, RoomStream } from '@roomchat/client'
import t from 'tap'
import { ApiError, ChatError, isTemporary } from '../../packages/client/src/errors.ts'
import { RoomSet } from '../../packages/client/src/room-set.ts'
import type { ClientFrame } from '../../packages/client/src/wire.ts'

const msg = (seq: number): Message => ({
  id: seq.toString(16).padStart(24, '0'),
  room: 'r'.padStart(24, '0'),
  seq,
  kind: 'text',
  from: null,
  text: `m${seq}`,
  createdAt: new Date(0).toISOString(),
  editedAt: null,
  deleted: false,
  replyTo: null,
  mentions: [],
  reactions: [],
})
const seqsOf = (list: Message[]) => list.map((m) => m.seq)

t.test('RoomStream', async (t) => {
  t.test('in order, once, from `since`', async (t) => {
    const s = new RoomStream(3)
    t.same(seqsOf(s.push(msg(2))), [], 'before since: dropped')
    t.same(seqsOf(s.push(msg(4))), [4])
    t.same(seqsOf(s.push(msg(4))), [], 'repeat dropped')
    t.equal(s.duplicates, 2)
    t.same(seqsOf(s.push(msg(6))), [], 'ahead: held')
    t.equal(s.hasGap, true)
    t.same(seqsOf(s.push(msg(7))), [])
    t.same(seqsOf(s.push(msg(6))), [], 'a held one repeated')
    t.same(seqsOf(s.push(msg(5))), [5, 6, 7], 'the gap filled: everything held comes out in order')
    t.equal(s.hasGap, false)
    t.equal(s.lastSeq, 7)
  })

  t.test('no since: the baseline comes from joined', async (t) => {
    const s = new RoomStream()
    t.equal(s.lastSeq, null)
    t.same(seqsOf(s.joined(10)), [])
    t.same(seqsOf(s.push(msg(10))), [], 'history is not delivered live')
    t.same(seqsOf(s.push(msg(11))), [11])
  })

  t.test('no since, live messages before joined: they are new, delivered in order', async (t) => {
    const s = new RoomStream()
    t.same(seqsOf(s.push(msg(12))), [])
    t.same(seqsOf(s.push(msg(11))), [])
    t.same(seqsOf(s.joined(12)), [11, 12])
    t.same(seqsOf(s.push(msg(13))), [13])
  })

  t.test('joined announcing more than arrived is a gap', async (t) => {
    const s = new RoomStream(0)
    s.push(msg(1))
    s.joined(3)
    t.equal(s.hasGap, true)
    t.same(seqsOf(s.push(msg(2))), [2])
    t.same(seqsOf(s.push(msg(3))), [3])
    t.equal(s.hasGap, false)
  })

  t.test('a long shuffled stream with repeats comes out 1..n once', async (t) => {
    const s = new RoomStream(0)
    const input: number[] = []
    for (let i = 1; i <= 500; i++) input.push(i, Math.max(1, i - 3))
    for (let i = input.length - 1; i > 0; i -= 7) {
      const j = Math.floor(i / 2)
      ;[input[i], input[j]] = [input[j]!, input[i]!]
    }
    const out: number[] = []
    for (const seq of input) out.push(...seqsOf(s.push(msg(seq))))
    t.same(
      out,
      Array.from({ length: 500 }, (_, i) => i + 1),
    )
  })
})

t.test('RoomStream: a part the server did not replay, read from history', async (t) => {
  const s = new RoomStream(2)
  t.same(seqsOf(s.push(msg(5))), [], 'a stale frame ahead: held')
  s.joined(20)
  s.skipping(20)
  t.equal(s.hasGap, true, 'the skipped part is a gap until read')
  t.same(seqsOf(s.push(msg(21))), [], 'live after it: held')
  t.same(seqsOf(s.fill([msg(3), msg(4), msg(5)], 20)), [3, 4, 5], 'a page, in order')
  t.same(
    seqsOf(s.fill([msg(4), msg(7), msg(19), msg(21)], 20)),
    [7, 19],
    'repeats and what comes live left out',
  )
  t.equal(s.lastSeq, 19)
  t.same(seqsOf(s.skipped(20)), [21], 'read: on from through, with what came live meanwhile')
  t.equal(s.lastSeq, 21)
  t.equal(s.hasGap, false)
  t.same(seqsOf(s.push(msg(20))), [], 'the skipped part is not delivered again')
})

t.test('RoomSet: a replay the server bounded', async (t) => {
  const room = 'r'.padStart(24, '0')
  const skippedAt = (rooms: RoomSet, after: number, through: number) =>
    rooms.onJoined({ type: 'joined', room, lastSeq: through, online: [], skipped: { after, through } })
  const setup = (
    history?: (room: string, after: number) => Promise<{ items: Message[]; nextCursor: string | null }>,
  ) => {
    const writes: ClientFrame[] = []
    const delivered: number[] = []
    const answers: { skipped?: unknown }[] = []
    const rooms = new RoomSet({
      write: (frame) => writes.push(frame),
      deliver: (event) => delivered.push(event.seq),
      joined: (frame) => answers.push(frame),
      history,
      gapTimeoutMs: 30,
      retryDelay: () => 10,
    })
    return { rooms, writes, delivered, answers }
  }
  /** History of messages 1..n (every third seq an edit: no message), pages of `size`. */
  const historyOf = (n: number, size: number, asked: number[], failFirst = 0) => {
    let failures = failFirst
    return async (_room: string, after: number) => {
      asked.push(after)
      if (failures-- > 0) throw new ChatError('NETWORK', 'offline')
      const items = Array.from({ length: n }, (_, i) => msg(i + 1)).filter(
        (m) => m.seq > after && m.seq % 3 !== 0,
      )
      const page = items.slice(0, size)
      return { items: page, nextCursor: items.length > size ? String(page.at(-1)!.seq) : null }
    }
  }

  t.test('read page by page, then the join is answered and live messages follow', async (t) => {
    const asked: number[] = []
    const { rooms, delivered, answers } = setup(historyOf(30, 4, asked, 1))
    const answered = rooms.join(room, 2, 5000)
    skippedAt(rooms, 2, 25)
    rooms.onMessage(msg(26))
    const frame = await answered
    t.same(frame.skipped, { after: 2, through: 25 })
    t.same(
      delivered,
      [4, 5, 7, 8, 10, 11, 13, 14, 16, 17, 19, 20, 22, 23, 25, 26],
      'every message of the part, in order, then the live one held meanwhile',
    )
    t.same(asked, [2, 2, 8, 14, 20], 'a failed page is asked again; each next page after the last seq read')
    t.equal(answers.length, 1, 'the joined event once, when read')
    t.ok(rooms.isJoined(room))
    rooms.onMessage(msg(27))
    t.equal(delivered.at(-1), 27)
  })

  t.test('a lost connection ends the read: the re-join goes on from where it got', async (t) => {
    const asked: number[] = []
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    const pages = historyOf(30, 4, asked)
    let calls = 0
    const { rooms, writes, delivered } = setup(async (r, after) => {
      if (++calls === 2) await gate
      return pages(r, after)
    })
    const answered = rooms.join(room, 2, 5000)
    skippedAt(rooms, 2, 25)
    while (calls < 2) await new Promise((r) => setTimeout(r, 1))
    rooms.unjoinAll()
    release()
    await new Promise((r) => setTimeout(r, 20))
    t.same(delivered, [4, 5, 7, 8], 'the page read before the drop')
    rooms.rejoinAll()
    t.same(writes.at(-1), { type: 'join', room, since: 8 }, 're-joined from the last message read')
    skippedAt(rooms, 8, 25)
    await answered
    t.same(
      delivered,
      [4, 5, 7, 8, 10, 11, 13, 14, 16, 17, 19, 20, 22, 23, 25],
      'the late page was dropped; the new read went on from 8',
    )
    t.same(asked, [2, 8, 8, 14, 20], 'the page asked again by the new read')
  })

  t.test('without history, the stream goes on after the part and the app is told', async (t) => {
    const { rooms, delivered, answers } = setup()
    const answered = rooms.join(room, 2, 5000)
    skippedAt(rooms, 2, 25)
    t.same((await answered).skipped, { after: 2, through: 25 })
    t.same(answers[0]!.skipped, { after: 2, through: 25 }, 'the joined event says what to read')
    rooms.onMessage(msg(26))
    t.same(delivered, [26], 'live from after the part, no gap re-join')
  })

  t.test('JOIN_IN_PROGRESS is neither a refusal nor an app error: the join is tried again', async (t) => {
    const { rooms, writes } = setup()
    const answered = rooms.join(room, 2, 5000)
    t.ok(rooms.failJoin(room, new ChatError('JOIN_IN_PROGRESS', 'under way')), 'handled')
    await new Promise((r) => setTimeout(r, 30))
    t.same(
      writes,
      [
        { type: 'join', room, since: 2 },
        { type: 'join', room, since: 2 },
      ],
      'sent again',
    )
    rooms.onJoined({ type: 'joined', room, lastSeq: 2, online: [] })
    t.equal((await answered).lastSeq, 2, 'the waiter was kept')
    t.ok(rooms.failJoin(room, new ChatError('JOIN_IN_PROGRESS', 'a re-join')), 'once joined: dropped')
    await new Promise((r) => setTimeout(r, 30))
    t.equal(writes.length, 2, 'and not sent again')
  })
})

t.test('backoff', async (t) => {
  const o = { ...defaultBackoff, initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.5 }
  t.same(
    [0, 1, 2, 3, 4, 10].map((n) => backoffDelay(n, o, () => 0)),
    [100, 200, 400, 800, 1000, 1000],
    'exponential, capped',
  )
  t.same(
    [0, 3].map((n) => backoffDelay(n, o, () => 1)),
    [50, 400],
    'jitter takes off up to half',
  )
  for (let i = 0; i < 100; i++) {
    const d = backoffDelay(2, o)
    t.ok(d >= 200 && d <= 400, `${d} within [200, 400]`)
  }
})

t.test('RoomSet: a refused re-join after a reconnect', async (t) => {
  const room = 'r'.padStart(24, '0')
  const setup = () => {
    const writes: ClientFrame[] = []
    const delays: number[] = []
    const rooms = new RoomSet({
      write: (frame) => writes.push(frame),
      deliver: () => {},
      joined: () => {},
      gapTimeoutMs: 60_000,
      retryDelay: (refusals) => {
        delays.push(refusals)
        return 20
      },
    })
    return { rooms, writes, delays }
  }
  const joinedAt = (rooms: RoomSet, lastSeq: number) =>
    rooms.onJoined({ type: 'joined', room, lastSeq, members: [], online: [] } as never)

  t.test('a temporary refusal is tried again, from the last seq, until joined', async (t) => {
    const { rooms, writes, delays } = setup()
    const first = rooms.join(room, undefined, 1000)
    joinedAt(rooms, 4)
    await first
    rooms.unjoinAll()
    rooms.rejoinAll()
    t.same(writes.at(-1), { type: 'join', room, since: 4 }, 're-joined from the last seq')
    t.ok(rooms.failJoin(room, new ChatError('UNAVAILABLE', 'draining')), 'handled, not an app error')
    t.ok(rooms.failJoin(room, new ChatError('INTERNAL', 'again')), 'a second refusal while waiting')
    t.equal(writes.length, 2, 'nothing sent before the delay')
    await new Promise((r) => setTimeout(r, 60))
    t.equal(writes.length, 3, 'one retry, not one per refusal')
    t.same(writes.at(-1), { type: 'join', room, since: 4 })
    t.ok(rooms.failJoin(room, new ChatError('RATE_LIMITED', 'slow down')))
    await new Promise((r) => setTimeout(r, 60))
    t.same(delays, [0, 1], 'the delay grows with the refusals')
    joinedAt(rooms, 4)
    rooms.unjoinAll()
    rooms.rejoinAll()
    t.ok(rooms.failJoin(room, new ChatError('INTERNAL', 'x')))
    t.same(delays, [0, 1, 0], 'joined again: the count starts over')
    rooms.unjoinAll()
    await new Promise((r) => setTimeout(r, 60))
    t.equal(writes.length, 5, 'the connection ended: its retry is dropped (the next one re-joins)')
  })

  t.test('a refusal for good ends following the room and reaches the app', async (t) => {
    const { rooms, writes } = setup()
    const first = rooms.join(room, undefined, 1000)
    joinedAt(rooms, 2)
    await first
    rooms.unjoinAll()
    rooms.rejoinAll()
    t.notOk(rooms.failJoin(room, new ChatError('NOT_MEMBER', 'kicked meanwhile')), 'left for the app to see')
    t.same(rooms.names, [], 'no longer followed')
    await new Promise((r) => setTimeout(r, 60))
    t.equal(writes.length, 2, 'not tried again')
  })

  t.test('joined only between `joined` and the end of the connection', async (t) => {
    const { rooms } = setup()
    const first = rooms.join(room, undefined, 1000)
    t.notOk(rooms.isJoined(room), 'not while the join is under way')
    joinedAt(rooms, 1)
    await first
    t.ok(rooms.isJoined(room))
    rooms.unjoinAll()
    t.notOk(rooms.isJoined(room), 'not on the next connection until it says so')
    t.notOk(rooms.isJoined('another'), 'nor a room never joined')
  })

  t.test('a join someone waits for is rejected at once, temporary or not', async (t) => {
    const { rooms, writes } = setup()
    const waiting = rooms.join(room, undefined, 1000)
    t.ok(rooms.failJoin(room, new ChatError('UNAVAILABLE', 'draining')))
    await t.rejects(waiting, { code: 'UNAVAILABLE' })
    await new Promise((r) => setTimeout(r, 60))
    t.equal(writes.length, 1, 'the caller decides whether to try again')
  })
})

t.test('isTemporary: refusals worth trying again after a while', async (t) => {
  for (const code of ['INTERNAL', 'UNAVAILABLE', 'RATE_LIMITED', 'TIMEOUT', 'NETWORK'])
    t.ok(isTemporary(new ChatError(code, 'x')), code)
  t.ok(isTemporary(new ApiError(503, 'UNAVAILABLE', 'draining', null, 5)), 'an HTTP 503 too')
  for (const code of ['NOT_MEMBER', 'NOT_FOUND', 'VALIDATION', 'UNAUTHENTICATED', 'CLOSED', 'REVOKED'])
    t.notOk(isTemporary(new ChatError(code, 'x')), `${code} stands`)
  t.notOk(isTemporary(new Error('INTERNAL')), 'only the client’s errors')
  t.notOk(isTemporary(undefined))
})
