// TicketedChannel (src/bus/ticketed.ts) over every bus: notices reach every instance, notices
// out of order are no gap, and a ticket never published is reported once, within two checks.
import t, { type Test } from 'tap'
import type { Bus } from '../../src/bus/bus.ts'
import { jsonChannel } from '../../src/bus/channel.ts'
import { type Notice, TicketedChannel } from '../../src/bus/ticketed.ts'
import { type BusDeployment, memoryDeployment, redisDeployment } from '../helpers/buses.ts'
import { sleep, until } from '../helpers/wait.ts'

const CHECK_MS = 150

/** One instance's side of the channel, and what it was told. */
async function member(t: Test, bus: Bus, name: string) {
  const got: string[] = []
  let lost = 0
  const channel = new TicketedChannel<string>(
    bus,
    jsonChannel<Notice<string>>(name),
    { receive: (items) => void got.push(...items), lost: () => void lost++ },
    CHECK_MS,
  )
  await channel.start()
  t.teardown(() => channel.stop())
  return { channel, got, lost: () => lost }
}

function suite(kind: string, setup: (t: Test) => Promise<BusDeployment | null>) {
  t.test(`${kind} bus`, async (t) => {
    const deployment = await setup(t)
    if (!deployment) return
    let n = 0
    const fresh = () => `ticketed-${n++}`

    t.test('a notice reaches every instance; notices out of order are no gap', async (t) => {
      const name = fresh()
      const a = await member(t, await deployment.instance(), name)
      const b = await member(t, await deployment.instance(), name)
      await a.channel.publish(await a.channel.take(), ['one'])
      const [x, y] = [await a.channel.take(), await b.channel.take()]
      await b.channel.publish(y, ['three'])
      await a.channel.publish(x, ['two'])
      await b.channel.publish(await b.channel.take(), [])
      await until(() => a.got.length === 3 && b.got.length === 3, 'three notices on each side')
      t.same(a.got, ['one', 'three', 'two'], 'in the order published')
      await sleep(CHECK_MS * 5)
      t.same([a.lost(), b.lost()], [0, 0], 'five checks later, no gap reported')
    })

    t.test('a ticket never published is reported once, within two checks', async (t) => {
      const name = fresh()
      const a = await member(t, await deployment.instance(), name)
      const b = await member(t, await deployment.instance(), name)
      await a.channel.take() // its writer dies here
      const taken = Date.now()
      await until(() => a.lost() === 1 && b.lost() === 1, 'the gap reported on both instances', 3000)
      const after = Date.now() - taken
      t.ok(after <= 2 * CHECK_MS + 400, `reported ${after} ms after the ticket (checks every ${CHECK_MS} ms)`)
      await a.channel.publish(await a.channel.take(), ['later'])
      await until(() => b.got.includes('later'), 'the next notice')
      await sleep(CHECK_MS * 4)
      t.same([a.lost(), b.lost()], [1, 1], 'reported once; the notices after it are no gap')
    })

    t.test('an instance that starts late counts only the tickets after it started', async (t) => {
      const name = fresh()
      const a = await member(t, await deployment.instance(), name)
      await a.channel.take()
      await a.channel.take()
      const late = await member(t, await deployment.instance(), name)
      await sleep(CHECK_MS * 4)
      t.equal(late.lost(), 0, 'tickets taken before it listened are not its gaps')
      t.equal(a.lost(), 1, 'the instance that was listening reported them')
    })
  })
}

suite('memory', memoryDeployment)
suite('redis', redisDeployment)
