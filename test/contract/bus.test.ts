// The Bus contract (src/bus/bus.ts), run against every adapter.
import t, { type Test } from 'tap'
import { type BusDeployment, memoryDeployment, redisDeployment } from '../helpers/buses.ts'
import { until } from '../helpers/wait.ts'

function contract(name: string, setup: (t: Test) => Promise<BusDeployment | null>) {
  t.test(`${name} bus`, async (t) => {
    const deployment = await setup(t)
    if (!deployment) return

    t.test('delivers to every subscriber of the channel, publisher included, and nowhere else', async (t) => {
      const a = await deployment.instance()
      const b = await deployment.instance()
      const got: string[] = []
      await a.subscribe('room:1', (m) => got.push(`a1:${m}`))
      await a.subscribe('room:1', (m) => got.push(`a2:${m}`))
      await b.subscribe('room:1', (m) => got.push(`b:${m}`))
      await b.subscribe('room:2', (m) => got.push(`other:${m}`))
      await a.publish('room:1', 'hello 👋')
      await t.resolves(until(() => got.length >= 3, 'three deliveries', 2000))
      await new Promise((r) => setTimeout(r, 50))
      t.same(got.sort(), ['a1:hello 👋', 'a2:hello 👋', 'b:hello 👋'])
    })

    t.test('publishCounted says how many instances were subscribed, each once', async (t) => {
      const a = await deployment.instance()
      const b = await deployment.instance()
      const got: string[] = []
      t.equal(await a.publishCounted('counted', 'nobody'), 0, 'none subscribed')
      await a.subscribe('counted', (m) => got.push(`a1:${m}`))
      await a.subscribe('counted', (m) => got.push(`a2:${m}`))
      await b.subscribe('counted', (m) => got.push(`b:${m}`))
      // The memory bus is one instance however often it is asked for.
      t.equal(await a.publishCounted('counted', 'x'), new Set([a, b]).size)
      await t.resolves(until(() => got.length >= 3, 'delivered as publish does', 2000))
    })

    t.test('keeps one publisher’s order on a channel', async (t) => {
      const a = await deployment.instance()
      const b = await deployment.instance()
      const got: number[] = []
      await b.subscribe('order', (m) => got.push(Number(m)))
      await Promise.all(Array.from({ length: 500 }, (_, i) => a.publish('order', String(i))))
      await t.resolves(
        until(() => got.length === 500, 'all 500', 2000),
        'all 500 arrive',
      )
      t.same(
        got,
        Array.from({ length: 500 }, (_, i) => i),
      )
    })

    t.test('stops delivering after unsubscribe, only to that handler', async (t) => {
      const a = await deployment.instance()
      const got: string[] = []
      const off1 = await a.subscribe('c', (m) => got.push(`1:${m}`))
      await a.subscribe('c', (m) => got.push(`2:${m}`))
      await a.publish('c', 'x')
      await t.resolves(until(() => got.length === 2, 'two deliveries', 2000))
      await off1()
      await a.publish('c', 'y')
      await t.resolves(until(() => got.includes('2:y'), 'y to handler 2', 2000))
      await new Promise((r) => setTimeout(r, 50))
      t.notOk(got.includes('1:y'))
    })

    t.test('a throwing handler does not stop the others', async (t) => {
      const a = await deployment.instance()
      const got: string[] = []
      await a.subscribe('boom', () => {
        throw new Error('handler bug')
      })
      await a.subscribe('boom', (m) => got.push(m))
      await a.publish('boom', 'still here')
      await t.resolves(until(() => got.length === 1, 'one delivery', 2000))
    })

    t.test('marks: raised by publishMarked, never lowered, read in one call', async (t) => {
      const a = await deployment.instance()
      const b = await deployment.instance()
      const got: string[] = []
      await b.subscribe('marked', (m) => got.push(m))
      await a.publishMarked('marked', 'seven', 7)
      await a.publishMarked('marked', 'five', 5)
      await a.publishMarked('other', 'two', 2)
      await t.resolves(until(() => got.length >= 2, 'two deliveries', 2000))
      t.same(got, ['seven', 'five'], 'published as publish does')
      t.same(await b.marks(['marked', 'other', 'never']), [7, 2, 0])
      const many = Array.from({ length: 2500 }, (_, i) => `none-${i}`)
      t.same(await a.marks([...many, 'marked']), [...many.map(() => 0), 7], 'many channels at once')
    })

    t.test('tickets: bump raises the mark by one, never the same number twice', async (t) => {
      const a = await deployment.instance()
      const b = await deployment.instance()
      t.same(await a.marks(['tickets']), [0])
      t.equal(await a.bump('tickets'), 1)
      t.equal(await b.bump('tickets'), 2)
      const many = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).bump('tickets')))
      t.same(
        [...many].sort((x, y) => x - y),
        Array.from({ length: 200 }, (_, i) => i + 3),
        '200 at once from two instances: each number once',
      )
      t.same(await b.marks(['tickets']), [202], 'the mark is the last ticket')
      await a.publishMarked('tickets', 'lower', 5)
      t.same(await a.marks(['tickets']), [202], 'a lower publishMarked does not lower it')
    })

    t.test('ping answers while open', async (t) => {
      const a = await deployment.instance()
      await t.resolves(a.ping())
    })
  })
}

contract('memory', memoryDeployment)
contract('redis', redisDeployment)
