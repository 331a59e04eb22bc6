// What conversations cost: an edit and a reaction against a plain send (latency over HTTP and
// store operations each, measured in the same run on the same instance), and GET /api/me/unread
// for a user in many rooms (1,000 by default). Starts one instance itself (embedded, or scaled
// when MONGODB_URL/REDIS_URL are set).
//
//   node --import tsx bench/conversations.ts --ops 300 --rooms 1000
import { ChatHttp } from '../packages/client/src/index.ts'
import { checkFlags, deployment, flagNumber, ms, parseFlags, quantile, registerUsers } from './lib.ts'

const USAGE = `node --import tsx bench/conversations.ts [flags]
  --ops N       sends, edits and reactions measured, each (default 300)
  --rooms R     rooms of the user whose unread counts are read (default 1000)
  --reads K     GET /api/me/unread calls measured (default 50)
  --url URL     target a running instance instead (needs ADMIN_USERNAME/ADMIN_PASSWORD and METRICS_TOKEN)
  --verbose     show the instance's output`

const flags = parseFlags()
checkFlags(flags, ['ops', 'rooms', 'reads', 'url', 'verbose', 'help'], USAGE)
const OPS = flagNumber(flags, 'ops', 300)
const ROOMS = flagNumber(flags, 'rooms', 1000)
const READS = flagNumber(flags, 'reads', 50)
const TOKEN = process.env.METRICS_TOKEN ?? 'bench-metrics-token-0123456789'
const BENCH_ENV = { RATE_MESSAGE_USER: '100000000', RATE_REGISTER_IP: '1000000', METRICS_TOKEN: TOKEN }

/** Store port calls counted by the instance so far (every repository and method; one call may be several round trips). */
async function storeOpsTotal(base: string): Promise<number> {
  const text = await (
    await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
  ).text()
  let total = 0
  for (const m of text.matchAll(/^store_operation_seconds_count\{[^}]*\} (\d+)/gm)) total += Number(m[1])
  return total
}

interface Figure {
  name: string
  p50: number
  mean: number
  opsEach: number
}

async function measure(
  name: string,
  base: string,
  n: number,
  run: (i: number) => Promise<unknown>,
): Promise<Figure> {
  const times: number[] = []
  const opsBefore = await storeOpsTotal(base)
  for (let i = 0; i < n; i++) {
    const started = performance.now()
    await run(i)
    times.push(performance.now() - started)
  }
  const ops = (await storeOpsTotal(base)) - opsBefore
  times.sort((a, b) => a - b)
  return { name, p50: quantile(times, 0.5), mean: times.reduce((a, b) => a + b, 0) / n, opsEach: ops / n }
}

async function main(): Promise<void> {
  const deploy = await deployment(flags, 1, BENCH_ENV)
  try {
    const base = deploy.urls[0]!
    console.log(`conversations bench: ${OPS} of each operation; unread over ${ROOMS} rooms`)
    console.log(`backend: ${deploy.backend}; instance: ${base}\n`)
    const admin = new ChatHttp({ baseUrl: base })
    await admin.login(deploy.admin)
    const [ann, bob] = await registerUsers(admin, [base], 2, 2, 'conv')
    const room = await admin.createRoom({ name: 'conversations bench' })
    await ann!.http.joinRoom(room.id)
    await bob!.http.joinRoom(room.id)
    // Warm up: the instance's state for sends, JIT, connections.
    for (let i = 0; i < 20; i++) await ann!.http.sendMessage(room.id, `warm ${i}`)

    const sent: number[] = []
    const figures = [
      await measure('send (POST /api/rooms/:id/messages)', base, OPS, async (i) => {
        sent.push((await ann!.http.sendMessage(room.id, `message ${i} with a few words in it`)).seq)
      }),
      await measure('edit (PATCH /api/rooms/:id/messages/:seq)', base, OPS, (i) =>
        ann!.http.editMessage(room.id, sent[i]!, `message ${i}, edited`),
      ),
      await measure('reaction (PUT .../reactions/:emoji)', base, OPS, (i) =>
        bob!.http.react(room.id, sent[i]!, '👍'),
      ),
    ]
    const send = figures[0]!
    console.log('operation                                   p50        mean       store calls mean vs send')
    for (const f of figures) {
      console.log(
        `${f.name.padEnd(42)}  ${ms(f.p50).padStart(9)}  ${ms(f.mean).padStart(9)}  ${f.opsEach.toFixed(2).padStart(9)}   ${(f.mean / send.mean).toFixed(2)}x`,
      )
    }

    // Unread: one user in ROOMS rooms, a message from someone else in every tenth, a mention in every fiftieth.
    const started = performance.now()
    const reader = bob!
    const ids: string[] = []
    for (let r = 0; r < ROOMS; r += 20) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(20, ROOMS - r) }, (_, k) =>
          admin.createRoom({ name: `unread ${r + k}` }),
        ),
      )
      await Promise.all(batch.map((b) => reader.http.joinRoom(b.id)))
      ids.push(...batch.map((b) => b.id))
    }
    await Promise.all(
      ids.map((id, i) =>
        i % 10 === 0 ? admin.sendMessage(id, i % 50 === 0 ? `hi @${reader.username}` : 'hello') : null,
      ),
    )
    console.log(`\nprepared ${ROOMS} rooms in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    const unread = await measure(`GET /api/me/unread (${ROOMS} rooms)`, base, READS, async () => {
      const items = await reader.http.unread()
      if (items.length !== Math.ceil(ROOMS / 10) + 1)
        throw new Error(`unexpected unread: ${items.length} rooms`)
    })
    console.log(
      `${unread.name}: p50 ${ms(unread.p50)}, mean ${ms(unread.mean)}, ${unread.opsEach.toFixed(2)} store calls per request (vs a send's mean: ${(unread.mean / send.mean).toFixed(1)}x)`,
    )
  } finally {
    await deploy.stop()
  }
}

await main()
