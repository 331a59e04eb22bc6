// The Ephemeral contract (src/ephemeral/ephemeral.ts), run against every implementation.
import t, { type Test } from 'tap'
import type { Ephemeral } from '../../src/ephemeral/ephemeral.ts'
import { createMemoryEphemeral } from '../../src/ephemeral/ephemeral-memory.ts'
import { createRedisEphemeral } from '../../src/ephemeral/ephemeral-redis.ts'
import { redisInstances } from '../helpers/redis-clients.ts'

/** A deployment: `instance()` is one more app instance over the same shared state. */
type Deployment = { instance(): Promise<Ephemeral> }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
let n = 0
const key = (name: string) => `${name}-${n++}`

function contract(name: string, setup: (t: Test) => Promise<Deployment | null>) {
  t.test(`${name} ephemeral`, async (t) => {
    const deployment = await setup(t)
    if (!deployment) return
    const [a, b] = [await deployment.instance(), await deployment.instance()]

    t.test('a value put on one instance is seen on another, and put replaces it', async (t) => {
      const k = key('put')
      t.equal(await b.get(k), null, 'absent before')
      await a.put(k, 'first ✓', 60)
      t.equal(await b.get(k), 'first ✓')
      t.equal(await b.get(k), 'first ✓', 'get leaves it in place')
      await b.put(k, 'second', 60)
      t.equal(await a.get(k), 'second')
    })

    t.test('a value expires after its ttl, without anyone deleting it', async (t) => {
      const [short, long, replaced] = [key('short'), key('long'), key('replaced')]
      await a.put(short, 'x', 1)
      await a.put(long, 'y', 30)
      await a.put(replaced, 'z', 30)
      await a.put(replaced, 'z2', 1)
      t.equal(await b.get(short), 'x', 'there within its ttl')
      await sleep(1300)
      t.equal(await b.get(short), null, 'gone after it')
      t.equal(await b.take(short), null, 'nothing to take')
      t.equal(await b.get(long), 'y', 'a longer ttl is still there')
      t.equal(await b.get(replaced), null, 'put replaced the expiry too')
    })

    t.test('take returns the value once and deletes it', async (t) => {
      const k = key('take')
      await a.put(k, 'ticket', 60)
      t.equal(await b.take(k), 'ticket')
      t.equal(await a.take(k), null, 'taken already')
      t.equal(await a.get(k), null, 'and gone')
      t.equal(await a.take(key('never')), null, 'an absent key gives null')
    })

    t.test('of concurrent takes on two instances exactly one gets the value', async (t) => {
      const k = key('race-take')
      await a.put(k, 'once', 60)
      const got = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).take(k)))
      t.same(
        got.filter((v) => v !== null),
        ['once'],
      )
    })

    t.test('claim: true for the one caller that set the key, until it expires', async (t) => {
      const k = key('claim')
      const got = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).claim(k, 1)))
      t.equal(got.filter(Boolean).length, 1, 'one of 40 concurrent claims wins')
      t.equal(await a.claim(k, 1), false, 'claimed while it lasts')
      await sleep(1300)
      t.equal(await b.claim(k, 1), true, 'claimable again once expired')
      const put = key('claim-put')
      await a.put(put, 'v', 60)
      t.equal(await b.claim(put, 60), false, 'a key holding a value is not claimable')
      t.equal(await b.get(put), 'v', 'and keeps its value')
    })
  })
}

contract('memory', async () => {
  // One process is one deployment: every "instance" is the same in-process map.
  const ephemeral = createMemoryEphemeral()
  return { instance: async () => ephemeral }
})

contract('redis', async (t) => {
  const instance = redisInstances(t, createRedisEphemeral)
  return instance && { instance }
})
