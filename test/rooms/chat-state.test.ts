// ChatState against a fake store and bus: what it caches, what drops an entry, the race of a
// store read with an event, the time bound, the resync, the memory bound, and the tickets that
// make a lost notice noticed.
import t, { type Test } from 'tap'
import type { Bus, BusHandler } from '../../src/bus/bus.ts'
import {
  ChatState,
  type ChatStateOptions,
  ENTRY_MS,
  type StateEvent,
  stateChannel,
} from '../../src/rooms/chat-state.ts'
import type { UserRecord } from '../../src/store/records.ts'
import type { Store } from '../../src/store/store.ts'

function fakeBus() {
  const handlers = new Map<string, BusHandler[]>()
  const resync: (() => void)[] = []
  const published: string[] = []
  const marks = new Map<string, number>()
  const bus: Bus = {
    kind: 'memory',
    async publish(channel, message) {
      published.push(message)
      for (const h of handlers.get(channel) ?? []) h(message)
    },
    async publishMarked(channel, message) {
      await bus.publish(channel, message)
    },
    async publishCounted(channel, message) {
      await bus.publish(channel, message)
      return handlers.has(channel) ? 1 : 0
    },
    async bump(channel) {
      marks.set(channel, (marks.get(channel) ?? 0) + 1)
      return marks.get(channel)!
    },
    async marks(channels) {
      return channels.map((c) => marks.get(c) ?? 0)
    },
    async subscribe(channel, handler) {
      handlers.set(channel, [...(handlers.get(channel) ?? []), handler])
      return async () => {}
    },
    onResync: (l) => void resync.push(l),
    async ping() {},
    async close() {},
  }
  return {
    bus,
    published,
    /** Another instance's write: a ticket, then its notice. */
    notice: async (...e: StateEvent[]) =>
      bus.publish(stateChannel.name, stateChannel.encode({ n: await bus.bump(stateChannel.name), e })),
    resync: () => {
      for (const l of resync) l()
    },
  }
}

function fakeStore() {
  const members = new Set<string>()
  const users = new Map<string, Partial<UserRecord>>()
  const reads = { isMember: 0, users: 0 }
  /** When set, the next isMember read waits for it. */
  let gate: Promise<void> | null = null
  const store = {
    rooms: {
      async isMember(room: string, user: string) {
        reads.isMember++
        const answer = members.has(`${room}:${user}`)
        if (gate) await gate
        return answer
      },
      async leave(room: string, user: string) {
        return members.delete(`${room}:${user}`)
      },
      async delete(room: string) {
        for (const k of [...members]) if (k.startsWith(`${room}:`)) members.delete(k)
        return true
      },
    },
    users: {
      async get(id: string) {
        reads.users++
        const u = users.get(id)
        return u ? ({ id, banned: false, ...u } as UserRecord) : null
      },
      async update(id: string, patch: Partial<UserRecord>) {
        const u = users.get(id)
        if (!u) return null
        Object.assign(u, patch)
        return { id, ...u } as UserRecord
      },
    },
  } as unknown as Store
  return {
    store,
    members,
    users,
    reads,
    setGate: (g: Promise<void> | null) => {
      gate = g
    },
  }
}

/** A started ChatState over a fresh fake bus and store, stopped when the test ends. */
async function started(t: Test, options: ChatStateOptions = {}) {
  const fb = fakeBus()
  const s = fakeStore()
  const state = new ChatState(s.store, fb.bus, options)
  await state.start()
  t.teardown(() => state.stop())
  return { ...fb, s, state }
}

t.test('membership: cached when yes, never when no; dropped by a leave anywhere', async (t) => {
  const { published, notice, s, state } = await started(t)
  const store = state.watch(s.store)
  t.equal(await state.isMember('r', 'u'), false)
  t.equal(await state.isMember('r', 'u'), false)
  t.equal(s.reads.isMember, 2, 'a refusal is always read again')
  s.members.add('r:u')
  t.equal(await state.isMember('r', 'u'), true, 'a join needs no event: refusals are not cached')
  t.equal(await state.isMember('r', 'u'), true)
  t.equal(s.reads.isMember, 3, 'the second yes came from the cache')

  t.equal(await store.rooms.leave('r', 'u'), true)
  t.same(
    JSON.parse(published.at(-1)!),
    { n: 1, e: [{ k: 'member', room: 'r', user: 'u' }] },
    'the leave is announced under its ticket',
  )
  t.equal(await state.isMember('r', 'u'), false, 'dropped at once on this instance')

  // Another instance's leave: the event alone drops the entry.
  s.members.add('r:u')
  t.equal(await state.isMember('r', 'u'), true)
  s.members.delete('r:u')
  await notice({ k: 'member', room: 'r', user: 'u' })
  t.equal(await state.isMember('r', 'u'), false)
})

t.test('a room deleted drops all of its members', async (t) => {
  const { s, state } = await started(t)
  for (const u of ['a', 'b', 'c']) s.members.add(`room:${u}`)
  s.members.add('other:a')
  for (const u of ['a', 'b', 'c']) t.equal(await state.isMember('room', u), true)
  t.equal(await state.isMember('other', 'a'), true)
  t.equal(state.size().members, 4)
  await state.watch(s.store).rooms.delete('room')
  t.equal(state.size().members, 1)
  t.equal(await state.isMember('room', 'a'), false)
  t.equal(await state.isMember('other', 'a'), true)
})

t.test('a read that overlapped an event is not kept', async (t) => {
  const { notice, s, state } = await started(t)
  s.members.add('r:u')
  let open!: () => void
  s.setGate(
    new Promise((r) => {
      open = r
    }),
  )
  const reading = state.isMember('r', 'u') // reads "yes" from the store, then waits
  await new Promise((r) => setImmediate(r))
  // Meanwhile the user leaves on another instance and the event arrives.
  s.members.delete('r:u')
  await notice({ k: 'member', room: 'r', user: 'u' })
  open()
  s.setGate(null)
  t.equal(await reading, true, 'the answer of the time')
  t.equal(await state.isMember('r', 'u'), false, 'but it was not cached')
})

t.test('sender snapshots: cached, dropped by a user change, a resync, or after their time', async (t) => {
  let now = 1_000_000
  const { resync, s, state } = await started(t, { now: () => now })
  s.users.set('u', { username: 'ann', displayName: 'Ann' })
  t.same(await state.sender('u'), {
    id: 'u',
    username: 'ann',
    displayName: 'Ann',
    avatar: null,
    banned: false,
    mutedUntil: 0,
  })
  await state.sender('u')
  t.equal(s.reads.users, 1)
  await state.watch(s.store).users.update('u', { displayName: 'Anne' })
  t.equal((await state.sender('u'))?.displayName, 'Anne')
  t.equal(s.reads.users, 2)
  resync()
  t.same(state.size(), { members: 0, senders: 0, owns: 0 }, 'a resync drops everything')
  await state.sender('u')
  t.equal(s.reads.users, 3)
  now += ENTRY_MS - 1_000
  await state.sender('u')
  t.equal(s.reads.users, 3, 'still fresh')
  now += 2_000
  await state.sender('u')
  t.equal(s.reads.users, 4, 'read again after ENTRY_MS')
  t.equal(await state.sender('nobody'), null)
})

t.test('memory is bounded', async (t) => {
  const { s, state } = await started(t)
  // 1,000 rooms of 101 members: past the bound of 100,000 entries.
  for (let r = 0; r < 1000; r++) for (let u = 0; u <= 100; u++) s.members.add(`r${r}:u${u}`)
  for (let r = 0; r < 1000; r++) for (let u = 0; u <= 100; u++) await state.isMember(`r${r}`, `u${u}`)
  t.ok(state.size().members <= 100_000, `${state.size().members} entries`)
  const before = s.reads.isMember
  await state.isMember('r999', 'u5')
  t.equal(s.reads.isMember, before, 'the newest room is still cached')
  await state.isMember('r0', 'u5')
  t.equal(s.reads.isMember, before + 1, 'the oldest room was dropped')
})

/** Resolves once `check` holds, polling; fails the test after `ms`. */
async function until(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 5))
  }
}

t.test('tickets: every write is announced under one, even one that changed nothing or failed', async (t) => {
  const { published, s, state } = await started(t)
  const store = state.watch(s.store)
  t.equal(await store.rooms.leave('r', 'nobody'), false)
  t.same(JSON.parse(published.at(-1)!), { n: 1, e: [] }, 'a leave of a non-member: its ticket, nothing stale')
  s.members.add('r:u')
  t.equal(await state.isMember('r', 'u'), true)
  const failing = {
    ...s.store,
    rooms: { ...s.store.rooms, leave: async () => Promise.reject(new Error('timeout')) },
  }
  await t.rejects(state.watch(failing as Store).rooms.leave('r', 'u'), /timeout/)
  t.same(
    JSON.parse(published.at(-1)!),
    { n: 2, e: [{ k: 'member', room: 'r', user: 'u' }] },
    'a failed write may have been applied: what it would make stale is announced',
  )
  t.equal(state.size().members, 0, 'and dropped here')
})

t.test('tickets: a lost notice drops everything within two checks, and only then', async (t) => {
  let lost = 0
  const { bus, notice, s, state } = await started(t, { checkMs: 30, onLost: () => lost++ })
  s.members.add('r:u')
  s.users.set('u', { username: 'ann', displayName: 'Ann' })
  await state.isMember('r', 'u')
  await state.sender('u')

  // Notices arriving out of order (two writers), all of them: nothing is lost.
  const first = await bus.bump(stateChannel.name)
  const second = await bus.bump(stateChannel.name)
  await bus.publish(stateChannel.name, stateChannel.encode({ n: second, e: [] }))
  await bus.publish(stateChannel.name, stateChannel.encode({ n: first, e: [] }))
  await notice()
  await new Promise((r) => setTimeout(r, 150))
  t.equal(lost, 0, 'five checks later, no false alarm')
  t.same(state.size(), { members: 1, senders: 1, owns: 0 }, 'everything still kept')

  // A writer takes a ticket and dies before announcing (its write went to the store).
  await bus.bump(stateChannel.name)
  s.members.delete('r:u')
  t.equal(await state.isMember('r', 'u'), true, 'stale until the gap is noticed')
  const takenAt = Date.now()
  await until(() => lost === 1)
  const noticedIn = Date.now() - takenAt
  t.ok(noticedIn <= 2 * 30 + 400, `noticed in ${noticedIn} ms (checks every 30 ms)`)
  t.same(state.size(), { members: 0, senders: 0, owns: 0 }, 'everything dropped')
  t.equal(await state.isMember('r', 'u'), false, 'read again from the store')
  await new Promise((r) => setTimeout(r, 150))
  t.equal(lost, 1, 'the gap is reported once')
})

t.test('a notice of the version before tickets is honoured (rolling upgrade), and is no gap', async (t) => {
  let lost = 0
  const { bus, s, state } = await started(t, { checkMs: 20, onLost: () => lost++ })
  s.members.add('r:u')
  t.equal(await state.isMember('r', 'u'), true)
  s.members.delete('r:u')
  await bus.publish(stateChannel.name, JSON.stringify({ k: 'member', room: 'r', user: 'u' }))
  t.equal(await state.isMember('r', 'u'), false, 'its event dropped the entry')
  await new Promise((r) => setTimeout(r, 100))
  t.equal(lost, 0)
})
