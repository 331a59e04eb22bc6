// RoomFeed against a fake message store: frames pushed out of order, twice or never still reach
// each follower once, in seq order; a gap is filled from the store; a follower joining with
// `since` is replayed, and a live frame racing the replay is neither lost nor repeated.
import t from 'tap'
import { type FeedEvents, type FeedFollower, GAP_WAIT_MS, RoomFeed } from '../../src/realtime/room-feed.ts'
import { messageFrame } from '../../src/realtime/server-frames.ts'
import type { SharedFrame } from '../../src/realtime/shared-frame.ts'
import type { MessageRecord } from '../../src/store/records.ts'

const ROOM = 'r'.repeat(24)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const record = (seq: number): MessageRecord => ({
  id: `m${seq}`,
  roomId: ROOM,
  seq,
  kind: 'text',
  from: null,
  text: `text ${seq}`,
  file: null,
  clientMsgId: null,
  createdAt: new Date(),
})

/** A message store holding seqs 1..n of the room; `range` can be held back or made to fail. */
function fakeStore(n: number) {
  const messages = Array.from({ length: n }, (_, i) => record(i + 1))
  const state = {
    ranges: 0,
    failNext: false,
    /** While set, `range` waits for it (to let something happen in the middle of a read). */
    gate: null as Promise<void> | null,
  }
  const store = {
    async lastSeq() {
      return messages.length
    },
    async range(_room: string, q: { after: number; limit: number }) {
      state.ranges++
      if (state.gate) await state.gate
      if (state.failNext) {
        state.failNext = false
        throw new Error('store down')
      }
      return messages.filter((m) => m.seq > q.after).slice(0, q.limit)
    },
  }
  return { store, state, messages, add: () => messages.push(record(messages.length + 1)) }
}

/** A follower that records the seqs it was sent, and how (replayed or live). */
class Recorder implements FeedFollower {
  readonly seqs: number[] = []
  readonly live: number[] = []
  readonly shared: SharedFrame[] = []
  send(frame: string): void {
    this.seqs.push(seqOf(frame))
  }
  deliver(frame: SharedFrame): void {
    this.shared.push(frame)
    this.seqs.push(seqOf(frame.text))
    this.live.push(seqOf(frame.text))
  }
}
const seqOf = (frame: string) => (JSON.parse(frame) as { message: { seq: number } }).message.seq

function counting() {
  const counts = { delivered: [] as number[], gapFills: 0, failures: 0 }
  const events: FeedEvents = {
    delivered: (_frame, sockets) => counts.delivered.push(sockets),
    gapFilled: () => counts.gapFills++,
    fillFailed: () => counts.failures++,
  }
  return { counts, events }
}

const frameOf = (seq: number) => messageFrame(record(seq))
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

t.test('live frames in seq order, once each, encoded once for all followers', async (t) => {
  const { store } = fakeStore(0)
  const { counts, events } = counting()
  const feed = new RoomFeed<Recorder>(ROOM, store, events)
  feed.start(0)
  const a = new Recorder()
  const b = new Recorder()
  feed.add(a)
  feed.add(b)
  feed.push(1, frameOf(1))
  feed.push(1, frameOf(1)) // twice: a bus redelivery or a fill that overlapped
  feed.push(3, frameOf(3)) // ahead of a gap: waits
  t.same(a.seqs, [1], 'the frame ahead of the gap waits')
  feed.push(2, frameOf(2))
  t.same(a.seqs, [1, 2, 3], 'the gap closed: the waiting frame follows in order')
  t.same(b.seqs, [1, 2, 3])
  t.equal(a.shared[0], b.shared[0], 'one frame object for both: serialised and encoded once')
  t.not(a.shared[0], a.shared[1], 'a frame per message')
  t.same(counts.delivered, [2, 2, 2], 'counted once per message, with its number of sockets')
  feed.close()
})

t.test('a lost publish is filled from the store', async (t) => {
  const { store, state } = fakeStore(4)
  const { counts, events } = counting()
  const feed = new RoomFeed<Recorder>(ROOM, store, events)
  feed.start(0)
  const a = new Recorder()
  feed.add(a)
  feed.push(4, frameOf(4)) // 1..3 never came over the bus
  t.same(a.seqs, [])
  await sleep(GAP_WAIT_MS * 3)
  t.same(a.seqs, [1, 2, 3, 4], 'read from the store after the wait, in order')
  t.ok(counts.gapFills >= 1)
  t.equal(feed.delivered, 4)
  const reads = state.ranges
  feed.push(4, frameOf(4))
  await sleep(GAP_WAIT_MS * 2)
  t.equal(state.ranges, reads, 'nothing ahead: no more reads')
  feed.close()
})

t.test('a failed fill is tried again while frames wait', async (t) => {
  const { store, state } = fakeStore(3)
  const { counts, events } = counting()
  const feed = new RoomFeed<Recorder>(ROOM, store, events)
  feed.start(0)
  const a = new Recorder()
  feed.add(a)
  state.failNext = true
  feed.push(3, frameOf(3))
  await sleep(GAP_WAIT_MS * 4)
  t.equal(counts.failures, 1, 'the first fill failed')
  t.same(a.seqs, [1, 2, 3], 'the next one delivered all, in order')
  feed.close()
})

t.test('nothing is delivered or read before start, nor after close', async (t) => {
  const { store, state } = fakeStore(2)
  const feed = new RoomFeed<Recorder>(ROOM, store, counting().events)
  feed.fill()
  t.equal(state.ranges, 0, 'no fill before the feed knows where the store is')
  feed.start(2)
  const a = new Recorder()
  feed.add(a)
  feed.close()
  feed.push(3, frameOf(3))
  feed.push(4, frameOf(4))
  await sleep(GAP_WAIT_MS * 2)
  t.same(a.seqs, [])
  t.equal(state.ranges, 0, 'a closed feed sets no timer and reads nothing')
})

t.test('since: the replay comes first, then live frames, no gap, no repeat', async (t) => {
  const { store, state, add } = fakeStore(5)
  const feed = new RoomFeed<Recorder>(ROOM, store, counting().events)
  feed.start(5)
  const a = new Recorder()
  const { follow, isNew } = feed.add(a, 1)
  t.ok(isNew)
  // A message is stored and pushed while the replay reads the store.
  let open!: () => void
  state.gate = new Promise((r) => {
    open = r
  })
  const caught = feed.catchUp(a, follow)
  add()
  feed.push(6, frameOf(6))
  t.same(a.seqs, [], 'not live during the replay: the live frame passes it by')
  state.gate = null
  open()
  t.equal((await caught).lastSeq, 6, 'live from the last seq it was sent')
  t.same(a.seqs, [2, 3, 4, 5, 6], 'the replay caught up with the live frame, once')
  t.same(a.live, [], 'all of it replayed')
  add()
  feed.push(7, frameOf(7))
  t.same(a.seqs, range(2, 7))
  t.same(a.live, [7], 'then live')
  feed.close()
})

t.test('a since beyond the store is clamped; a re-join with since goes back', async (t) => {
  const { store, add } = fakeStore(3)
  const feed = new RoomFeed<Recorder>(ROOM, store, counting().events)
  feed.start(3)
  const a = new Recorder()
  const first = feed.add(a, 99)
  t.equal(
    (await feed.catchUp(a, first.follow)).lastSeq,
    3,
    'a since ahead of the room is clamped to its last seq',
  )
  add()
  feed.push(4, frameOf(4))
  t.same(a.seqs, [4], 'and the socket is live, not silenced')
  const again = feed.add(a, 1)
  t.notOk(again.isNew, 'the same follower')
  t.equal((await feed.catchUp(a, again.follow)).lastSeq, 4)
  t.same(a.seqs, [4, 2, 3, 4], 'replayed from its new since')
  feed.close()
})

t.test('a removed follower gets nothing more', async (t) => {
  const { store } = fakeStore(0)
  const feed = new RoomFeed<Recorder>(ROOM, store, counting().events)
  feed.start(0)
  const a = new Recorder()
  const b = new Recorder()
  feed.add(a)
  feed.add(b)
  feed.push(1, frameOf(1))
  t.ok(feed.remove(a))
  t.notOk(feed.remove(a), 'removing twice says it was not following')
  feed.push(2, frameOf(2))
  t.same(a.seqs, [1])
  t.same(b.seqs, [1, 2])
  feed.close()
})

t.test('a long replay is read in batches, in order', async (t) => {
  const { store, state } = fakeStore(1234)
  const feed = new RoomFeed<Recorder>(ROOM, store, counting().events)
  feed.start(1234)
  const a = new Recorder()
  const { follow } = feed.add(a, 0)
  t.equal((await feed.catchUp(a, follow)).lastSeq, 1234)
  t.same(a.seqs, range(1, 1234))
  t.equal(state.ranges, 3, '500 at a time')
  feed.close()
})

t.test(
  'a replay the allowance refuses sends nothing, goes live from the end and says what it skipped',
  async (t) => {
    const { store, state, add } = fakeStore(40)
    const feed = new RoomFeed<Recorder>(ROOM, store, counting().events)
    feed.start(40)
    const asked: number[] = []
    const a = new Recorder()
    const refused = await feed.catchUp(a, feed.add(a, 5).follow, (events) => {
      asked.push(events)
      return events <= 10
    })
    t.same(asked, [35], 'asked with the events the replay would send: the seqs between')
    t.same(refused, { lastSeq: 40, skipped: { after: 5, through: 40 } })
    t.same(a.seqs, [], 'nothing replayed')
    t.equal(state.ranges, 0, 'nor read from the store')
    add()
    feed.push(41, frameOf(41))
    t.same(a.seqs, [41], 'live from the next seq, with no gap after what was skipped')

    const b = new Recorder()
    const allowed = await feed.catchUp(b, feed.add(b, 31).follow, (events) => events <= 10)
    t.same(allowed, { lastSeq: 41 }, 'within the allowance: no skipped')
    t.same(b.seqs, range(32, 41), 'replayed as before')

    const c = new Recorder()
    const live = await feed.catchUp(c, feed.add(c, 41).follow, () => t.fail('nothing to replay: not asked'))
    t.same(live, { lastSeq: 41 })
    feed.close()
  },
)

t.test('a replay whose follower was removed and added again stops: the new one replays alone', async (t) => {
  const { store, state } = fakeStore(1200)
  const feed = new RoomFeed<Recorder>(ROOM, store, counting().events)
  feed.start(1200)
  const a = new Recorder()
  let open!: () => void
  state.gate = new Promise<void>((r) => {
    open = r
  })
  const first = feed.catchUp(a, feed.add(a, 0).follow)
  while (state.ranges === 0) await sleep(1)
  feed.remove(a)
  state.gate = null
  const second = feed.catchUp(a, feed.add(a, 1190).follow)
  open()
  await Promise.all([first, second])
  t.same(a.seqs, range(1191, 1200), 'each seq once: the first replay ended when its follow did')
  feed.close()
})
