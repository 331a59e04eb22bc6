// AppendQueue against a fake message store: what queues behind an append in flight goes to the
// store as one batch, in arrival order; publishes leave in seq order before the senders hear
// back; a failed batch fails its own senders only; rooms do not wait for each other.
import t from 'tap'
import { AppendQueue } from '../../src/rooms/append-queue.ts'
import type { MessageRecord, NewMessage } from '../../src/store/records.ts'

const silent = { warn() {}, error() {}, info() {}, debug() {} } as never

function fakeMessages() {
  const batches: { room: string; texts: string[]; hint: number | undefined }[] = []
  const seqs = new Map<string, number>()
  /** The room whose next batch fails. */
  let failRoom: string | null = null
  const store = {
    async appendMany(list: NewMessage[], hint?: number) {
      const room = list[0]!.roomId
      batches.push({ room, texts: list.map((m) => m.text), hint })
      const fail = failRoom === room
      if (fail) failRoom = null
      await new Promise<void>((r) => setTimeout(r, 5))
      if (fail) throw new Error('store down')
      return list.map((m) => {
        const seq = (seqs.get(m.roomId) ?? 0) + 1
        seqs.set(m.roomId, seq)
        return { message: { ...m, seq } as MessageRecord, duplicate: false }
      })
    },
  }
  return {
    store,
    batches,
    failOnce: (room: string) => {
      failRoom = room
    },
  }
}

const msg = (roomId: string, text: string): NewMessage => ({
  id: text,
  roomId,
  kind: 'text',
  from: null,
  text,
  file: null,
  clientMsgId: null,
  createdAt: new Date(),
})

t.test('sends queued behind one in flight go as one batch, in order', async (t) => {
  const f = fakeMessages()
  const published: number[] = []
  const events: string[] = []
  const q = new AppendQueue(
    f.store,
    async (m) => {
      published.push(m.seq)
      events.push(`publish ${m.seq}`)
    },
    silent,
  )
  const results = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      q.append(msg('r', `m${i}`)).then((r) => {
        events.push(`ack ${r.message.seq}`)
        return r
      }),
    ),
  )
  t.same(
    f.batches.map((b) => b.texts.length),
    [1, 9],
    'the first alone, the nine that queued behind it together',
  )
  t.same(f.batches[1]!.hint, 1, 'the second batch starts from the last seq stored')
  t.same(
    results.map((r) => [r.message.text, r.message.seq]),
    Array.from({ length: 10 }, (_, i) => [`m${i}`, i + 1]),
    'each sender gets its own message',
  )
  t.same(published, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'published in seq order')
  t.ok(events.indexOf('publish 10') < events.indexOf('ack 2'), "a batch's publishes leave before its acks")
  t.equal(q.busyRooms(), 0, 'nothing left behind')
})

t.test('a failed batch fails its senders only; rooms are independent', async (t) => {
  const f = fakeMessages()
  const q = new AppendQueue(f.store, async () => {}, silent)
  const first = q.append(msg('a', 'a0'))
  f.failOnce('a')
  const failing = [q.append(msg('a', 'a1')), q.append(msg('a', 'a2'))]
  const other = q.append(msg('b', 'b0'))
  t.equal((await first).message.seq, 1)
  t.equal((await other).message.seq, 1, 'another room did not wait for room a')
  for (const p of failing) await t.rejects(p, /store down/)
  t.equal((await q.append(msg('a', 'a3'))).message.seq, 2, 'the room goes on after a failure')
  t.same(f.batches.at(-1)!.hint, undefined, 'and reads its last seq again (the hint was dropped)')
})
