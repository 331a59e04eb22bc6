// The Limits contract (src/limits/limits.ts), run against every implementation.
import t, { type Test } from 'tap'
import { newId } from '../../src/ids.ts'
import type { LimiterFactory, LimitRule } from '../../src/limits/limits.ts'
import { createMemoryLimiters } from '../../src/limits/limits-memory.ts'
import { createRedisLimiters } from '../../src/limits/limits-redis.ts'
import { redisInstances } from '../helpers/redis-clients.ts'

/** A deployment: `instance()` is the limiter factory of one more app instance over the same state. */
type Deployment = { instance(): Promise<LimiterFactory> }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function contract(name: string, setup: (t: Test) => Promise<Deployment | null>) {
  t.test(`${name} limits`, async (t) => {
    const deployment = await setup(t)
    if (!deployment) return
    const [a, b] = [await deployment.instance(), await deployment.instance()]
    /** The limiter of one fresh name, on both instances. */
    const pair = (rule: LimitRule) => {
      const name = `l-${newId()}`
      return [a(name, rule), b(name, rule)] as const
    }

    t.test('allows `points` events per key, then refuses with the time to wait', async (t) => {
      const [la] = pair({ points: 3, seconds: 30 })
      for (let i = 1; i <= 3; i++) t.equal((await la.consume('k')).allowed, true, `event ${i} allowed`)
      const refused = await la.consume('k')
      t.equal(refused.allowed, false, 'the fourth is refused')
      t.ok(refused.retryAfter > 0 && refused.retryAfter <= 30, `retryAfter ${refused.retryAfter} in (0, 30]`)
      t.equal((await la.consume('k')).allowed, false, 'and so is the next')
      t.equal((await la.consume('other')).allowed, true, 'another key has a count of its own')
    })

    t.test('two instances count one limit together; names stay apart', async (t) => {
      const [la, lb] = pair({ points: 3, seconds: 30 })
      const [elsewhere] = pair({ points: 3, seconds: 30 })
      await la.consume('k')
      await lb.consume('k')
      await la.consume('k')
      t.equal((await lb.consume('k')).allowed, false, 'the fourth event, on either instance, is refused')
      t.equal((await la.consume('k')).allowed, false)
      t.equal((await elsewhere.consume('k')).allowed, true, 'a limiter of another name counts apart')
    })

    t.test('of concurrent events on two instances exactly `points` are allowed', async (t) => {
      const [la, lb] = pair({ points: 10, seconds: 30 })
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? la : lb).consume('k')))
      t.equal(results.filter((r) => r.allowed).length, 10)
    })

    t.test('the window ends: the key starts afresh', async (t) => {
      const [la, lb] = pair({ points: 2, seconds: 1 })
      await la.consume('k')
      await la.consume('k')
      const refused = await lb.consume('k')
      t.equal(refused.allowed, false)
      t.ok(refused.retryAfter > 0 && refused.retryAfter <= 1, `retryAfter ${refused.retryAfter} in (0, 1]`)
      await sleep(refused.retryAfter * 1000 + 200)
      t.equal((await lb.consume('k')).allowed, true, 'allowed again')
      t.equal((await la.consume('k')).allowed, true)
      t.equal((await la.consume('k')).allowed, false, 'with the full rule again')
    })

    t.test('count: says when the rule is used up, and which event used it up', async (t) => {
      const [la, lb] = pair({ points: 3, seconds: 30 })
      const first = await la.count('k')
      t.same([first.over, first.crossed], [false, false])
      t.same([(await lb.count('k')).over, (await la.wait('k')) === 0], [false, true], 'not yet')
      const third = await lb.count('k')
      t.same([third.over, third.crossed], [true, true], 'the third event used the rule up')
      t.ok(third.retryAfter > 0 && third.retryAfter <= 30)
      const fourth = await la.count('k')
      t.same([fourth.over, fourth.crossed], [true, false], 'the next ones are over, not crossing')
    })

    t.test('wait: 0 within the rule, whole seconds past it, and it counts nothing', async (t) => {
      const [la, lb] = pair({ points: 2, seconds: 30 })
      t.equal(await la.wait('k'), 0, 'no events yet')
      await la.count('k')
      for (let i = 0; i < 5; i++) t.equal(await lb.wait('k'), 0, 'within the rule, however often asked')
      await lb.count('k')
      const wait = await la.wait('k')
      t.ok(Number.isInteger(wait) && wait >= 1 && wait <= 30, `wait ${wait} in [1, 30]`)
      t.ok((await lb.wait('k')) >= 1, 'on the other instance too')
    })

    t.test('reset forgets the key’s events on every instance, and only that key’s', async (t) => {
      const [la, lb] = pair({ points: 2, seconds: 30 })
      for (const key of ['k', 'kept']) {
        await la.consume(key)
        await la.consume(key)
      }
      t.equal((await lb.consume('k')).allowed, false)
      await lb.reset('k')
      t.equal(await la.wait('k'), 0)
      t.equal((await la.consume('k')).allowed, true, 'allowed again after the reset')
      t.equal((await la.consume('kept')).allowed, false, 'the other key keeps its count')
      await la.reset('never-seen')
    })

    t.test('refund takes back one event on every instance, never below zero', async (t) => {
      const [la, lb] = pair({ points: 3, seconds: 30 })
      for (let i = 0; i < 3; i++) await la.consume('k')
      t.equal((await lb.consume('k')).allowed, false, 'used up (and the refused event counted)')
      await lb.refund('k')
      await la.refund('k')
      t.equal((await la.consume('k')).allowed, true, 'two refunds: the refused event and one more')
      t.equal((await lb.consume('k')).allowed, false, 'and no more than that')
      const [fresh] = pair({ points: 2, seconds: 30 })
      await fresh.consume('j')
      for (let i = 0; i < 3; i++) await fresh.refund('j')
      await fresh.refund('never-seen')
      const allowed = []
      for (let i = 0; i < 4; i++) allowed.push((await fresh.consume('j')).allowed)
      t.same(allowed, [true, true, false, false], 'refunds beyond the events counted give nothing')
      t.equal((await fresh.consume('never-seen')).allowed, true)
      t.equal((await fresh.consume('never-seen')).allowed, true)
      t.equal((await fresh.consume('never-seen')).allowed, false, 'a key never seen gets the rule, no more')
    })

    t.test('refund does not carry into the next window', async (t) => {
      const [la, lb] = pair({ points: 1, seconds: 1 })
      const first = await la.consume('k')
      t.equal(first.allowed, true)
      await sleep(first.retryAfter * 1000 + 200)
      await lb.refund('k')
      t.equal((await la.consume('k')).allowed, true, 'the new window')
      t.equal((await lb.consume('k')).allowed, false, 'has the rule and no point more')
    })

    t.test('of concurrent refunds on two instances, none is lost and none goes below zero', async (t) => {
      const [la, lb] = pair({ points: 10, seconds: 30 })
      for (let i = 0; i < 10; i++) await (i % 2 ? la : lb).consume('k')
      await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? la : lb).refund('k')))
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? la : lb).consume('k')))
      t.equal(results.filter((r) => r.allowed).length, 10, 'the ten refunded, no more')
    })
  })
}

contract('memory', async () => {
  // One process is one deployment: every "instance" is the same factory.
  const limiters = createMemoryLimiters()
  return { instance: async () => limiters }
})

contract('redis', async (t) => {
  const instance = redisInstances(t, createRedisLimiters)
  return instance && { instance }
})

t.test('memory: a name asked for with another rule is a programming error', async (t) => {
  const limiters = createMemoryLimiters()
  const first = limiters('n', { points: 2, seconds: 10 })
  t.equal(limiters('n', { points: 2, seconds: 10 }), first, 'the same rule gives the same limiter')
  t.throws(() => limiters('n', { points: 3, seconds: 10 }), /two different rules/)
})
