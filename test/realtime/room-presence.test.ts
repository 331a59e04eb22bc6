// PresenceTracker over the in-process Presence: one hold per user and room however many local
// sockets; the last socket's leave releases it; followers hear a changed list only; holds are
// refreshed in one batch for all rooms, and online lists re-read in one batch.
import t from 'tap'
import type { Presence } from '../../src/presence/presence.ts'
import { createMemoryPresence } from '../../src/presence/presence-memory.ts'
import { PresenceTracker, RoomPresence } from '../../src/realtime/room-presence.ts'

const silent = { warn() {}, error() {}, info() {}, debug() {} } as never

/** The memory Presence, with its calls counted. */
function counted() {
  const inner = createMemoryPresence()
  const calls = { hold: [] as number[], release: 0, online: 0, onlineMany: 0 }
  const presence: Presence = {
    ttlSeconds: inner.ttlSeconds,
    hold: (entries) => {
      calls.hold.push(entries.length)
      return inner.hold(entries)
    },
    release: (room, user) => {
      calls.release++
      return inner.release(room, user)
    },
    online: (room) => {
      calls.online++
      return inner.online(room)
    },
    onlineMany: (rooms) => {
      calls.onlineMany++
      return inner.onlineMany(rooms)
    },
  }
  return { presence, inner, calls }
}

function tracker(presence: Presence) {
  const changed: string[][] = []
  const announced: string[] = []
  const tracked = new PresenceTracker(presence, silent, {
    changed: (room) => changed.push(room.online),
    announce: async (roomId) => {
      announced.push(roomId)
    },
  })
  return { tracked, changed, announced }
}

t.test('one hold per user and room; the last socket releases it', async (t) => {
  const { presence, calls } = counted()
  const { tracked, changed, announced } = tracker(presence)
  const room = new RoomPresence('r1')
  await tracked.load(room)
  t.same(room.online, [])
  await tracked.add(room, 'ann')
  await tracked.add(room, 'ann') // a second tab
  t.same(calls.hold, [1], 'held once')
  t.same(room.online, ['ann'])
  t.same(changed, [['ann']], 'followers told once')
  t.same(announced, ['r1'], 'other instances told once')
  await tracked.remove(room, 'ann')
  t.equal(calls.release, 0, 'one tab left: still online')
  t.same(room.online, ['ann'])
  await tracked.remove(room, 'ann')
  t.equal(calls.release, 1)
  t.same(room.online, [])
  t.same(changed, [['ann'], []])
  t.same(announced, ['r1', 'r1'])
})

t.test('a refresh that finds the same list tells nobody', async (t) => {
  const { presence, inner } = counted()
  const { tracked, changed } = tracker(presence)
  const room = new RoomPresence('r1')
  await tracked.add(room, 'ann')
  await tracked.refresh(room)
  t.same(changed, [['ann']], 'nothing new')
  await inner.hold([{ room: 'r1', user: 'bob' }]) // bob came online on another instance
  await tracked.refresh(room)
  t.same(changed.at(-1), ['ann', 'bob'])
})

t.test('sweeps refresh every hold in one batch and every list in one batch', async (t) => {
  const { presence, inner, calls } = counted()
  const { tracked, changed } = tracker(presence)
  const rooms = [new RoomPresence('r1'), new RoomPresence('r2'), new RoomPresence('r3')]
  for (const [i, room] of rooms.entries()) await tracked.add(room, `u${i}`)
  await tracked.add(rooms[0]!, 'extra')
  calls.hold.length = 0
  const reads = calls.online
  await inner.hold([{ room: 'r3', user: 'zed' }]) // only a sweep can notice this one
  for (let i = 0; i < 15; i++) tracked.sweep(rooms)
  await new Promise((r) => setTimeout(r, 10))
  t.same(calls.hold, [4, 4, 4, 4, 4], 'every third sweep: all four holds in one call')
  t.equal(calls.onlineMany, 3, 'every fifth sweep: all lists in one call')
  t.equal(calls.online, reads, 'never a read per room')
  t.same(rooms[2]!.online, ['u2', 'zed'])
  t.same(changed.at(-1), ['u2', 'zed'], 'the change was told')
})
