// The Presence contract (src/presence/presence.ts), run against every implementation.
import t, { type Test } from 'tap'
import { newId } from '../../src/ids.ts'
import type { Presence } from '../../src/presence/presence.ts'
import { createMemoryPresence } from '../../src/presence/presence-memory.ts'
import { createRedisPresence } from '../../src/presence/presence-redis.ts'
import { redisInstances } from '../helpers/redis-clients.ts'

interface Deployment {
  /** One more app instance over the same shared state; its holds last `ttlSeconds` where they expire. */
  instance(ttlSeconds?: number): Promise<Presence>
  /** Whether instances are apart (one per process) or the one in-process presence of a single instance. */
  apart: boolean
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const room = () => `room-${newId()}`

function contract(name: string, setup: (t: Test) => Promise<Deployment | null>) {
  t.test(`${name} presence`, async (t) => {
    const deployment = await setup(t)
    if (!deployment) return

    t.test('online lists each held user once, sorted, on every instance', async (t) => {
      const [a, b] = [await deployment.instance(), await deployment.instance()]
      const r = room()
      t.same(await b.online(r), [], 'nobody before')
      await a.hold([
        { room: r, user: 'zoe' },
        { room: r, user: 'adam' },
      ])
      await a.hold([{ room: r, user: 'zoe' }])
      await b.hold([
        { room: r, user: 'adam' },
        { room: r, user: 'mia' },
      ])
      t.same(await a.online(r), ['adam', 'mia', 'zoe'])
      t.same(await b.online(r), ['adam', 'mia', 'zoe'])
      await a.hold([])
      t.same(await a.online(r), ['adam', 'mia', 'zoe'], 'holding nothing changes nothing')
    })

    t.test('holds in one room stay out of the others', async (t) => {
      const a = await deployment.instance()
      const [r1, r2] = [room(), room()]
      await a.hold([{ room: r1, user: 'u1' }])
      t.same(await a.online(r2), [])
    })

    t.test('release drops the user from the room only', async (t) => {
      const a = await deployment.instance()
      const [r1, r2] = [room(), room()]
      await a.hold([
        { room: r1, user: 'u1' },
        { room: r1, user: 'u2' },
        { room: r2, user: 'u1' },
      ])
      await a.release(r1, 'u1')
      t.same(await a.online(r1), ['u2'])
      t.same(await a.online(r2), ['u1'], 'still online in the other room')
      await a.release(r1, 'nobody')
      await a.release(room(), 'u1')
      t.same(await a.online(r1), ['u2'], 'releasing what is not held changes nothing')
    })

    t.test('onlineMany answers as online for each room, in the order asked', async (t) => {
      const [a, b] = [await deployment.instance(), await deployment.instance()]
      const [r1, r2, r3] = [room(), room(), room()]
      await a.hold([
        { room: r1, user: 'b' },
        { room: r1, user: 'a' },
        { room: r3, user: 'c' },
      ])
      await b.hold([{ room: r3, user: 'a' }])
      t.same(await b.onlineMany([r3, r2, r1]), [['a', 'c'], [], ['a', 'b']])
      t.same(await b.onlineMany([]), [])
      const many = Array.from({ length: 500 }, room)
      await a.hold(many.map((r, i) => ({ room: r, user: `u${i}` })))
      t.same(
        await b.onlineMany(many),
        many.map((_, i) => [`u${i}`]),
        'many rooms at once',
      )
    })

    if (!deployment.apart) {
      t.test('in one process the holds are the truth and never expire', async (t) => {
        const a = await deployment.instance()
        t.equal(a.ttlSeconds, Number.POSITIVE_INFINITY)
      })
      return
    }

    t.test('a release on one instance leaves the holds of the others', async (t) => {
      const [a, b] = [await deployment.instance(), await deployment.instance()]
      const r = room()
      await a.hold([{ room: r, user: 'both' }])
      await b.hold([{ room: r, user: 'both' }])
      await a.release(r, 'both')
      t.same(await a.online(r), ['both'], 'B still holds them')
      await b.release(r, 'both')
      t.same(await a.online(r), [], 'gone once the last instance releases')
    })

    t.test('a dead instance drops out within ttlSeconds; one that refreshes stays', async (t) => {
      const [dead, alive] = [await deployment.instance(1), await deployment.instance(1)]
      t.equal(dead.ttlSeconds, 1)
      const [r1, r2] = [room(), room()]
      await dead.hold([
        { room: r1, user: 'ghost' },
        { room: r1, user: 'shared' },
        { room: r2, user: 'ghost' },
      ])
      await alive.hold([
        { room: r1, user: 'live' },
        { room: r1, user: 'shared' },
      ])
      t.same(await alive.online(r1), ['ghost', 'live', 'shared'])
      // `alive` refreshes twice within its ttl; `dead` never again.
      for (let i = 0; i < 3; i++) {
        await sleep(500)
        await alive.hold([
          { room: r1, user: 'live' },
          { room: r1, user: 'shared' },
        ])
      }
      t.same(await alive.online(r1), ['live', 'shared'], 'the dead instance’s holds expired')
      t.same(await alive.onlineMany([r1, r2]), [['live', 'shared'], []], 'onlineMany ignores them too')
      t.same(await dead.online(r1), ['live', 'shared'], 'every instance sees the same')
    })
  })
}

contract('memory', async () => {
  // One process is one deployment: every "instance" is the same in-process presence.
  const presence = createMemoryPresence()
  return { instance: async () => presence, apart: false }
})

contract('redis', async (t) => {
  const instance = redisInstances(t, (redis, prefix, ttlSeconds?: number) =>
    createRedisPresence(redis, prefix, newId(), ttlSeconds),
  )
  return instance && { apart: true, instance }
})
