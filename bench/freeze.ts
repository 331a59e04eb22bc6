// How long a subtree freeze takes: two instances on the scaled backend (MongoDB wire + Redis),
// a tree of --users users (the root and everyone below it, --fanout children each, registered
// through codes an admin minted for each parent), each with a session, some with a socket open
// on either instance, and some unused codes held by members; then one
// `POST /api/admin/users/:root/freeze {subtree: true, revokeCodes: true}` is timed, and so is the
// wait until every open socket of the tree (on both instances) is closed.
//
//   MONGODB_URL=… REDIS_URL=… node --import tsx bench/freeze.ts [--users 1000] [--fanout 10] [--sockets 200]
import WebSocket from 'ws'
import { ChatHttp } from '../packages/client/src/index.ts'
import { checkFlags, deployment, flagNumber, int, ms, parseFlags } from './lib.ts'

const USAGE = `bench/freeze.ts: time a subtree freeze over two scaled instances

  --users N     users in the tree, the root included (default 1000)
  --fanout N    children per parent (default 10)
  --sockets N   users of the tree with a socket open, alternating instances (default 200)
  --spare N     members given an unused code each, to be revoked (default 100)
  --url URL     a running deployment instead (repeatable; ADMIN_USERNAME, ADMIN_PASSWORD)
  --verbose     instance output`

const flags = parseFlags()
checkFlags(flags, ['users', 'fanout', 'sockets', 'spare', 'url', 'verbose', 'help'], USAGE)
const USERS = Math.max(2, flagNumber(flags, 'users', 1000))
const FANOUT = Math.max(1, flagNumber(flags, 'fanout', 10))
const SOCKETS = Math.min(USERS, flagNumber(flags, 'sockets', 200))
const SPARE = Math.min(USERS, flagNumber(flags, 'spare', 100))

const BENCH_ENV = {
  RATE_LOGIN_IP: '1000000',
  RATE_LOGIN_USER: '1000000',
  RATE_REGISTER_IP: '1000000',
  MEMBER_INVITES_PER_DAY: '1000000',
  ARGON2_MEMORY_KIB: '1024',
  ARGON2_TIME_COST: '1',
}

interface Member {
  id: string
  token: string
  url: string
}

async function main() {
  if (!flags.has('url') && !(process.env.MONGODB_URL && process.env.REDIS_URL))
    throw new Error('set MONGODB_URL and REDIS_URL: this measures the scaled backend')
  const d = await deployment(flags, 2, BENCH_ENV)
  try {
    const admin = new ChatHttp({ baseUrl: d.urls[0]! })
    await admin.login({ username: d.admin.username, password: d.admin.password })
    const tag = Date.now().toString(36).slice(-5)
    const setupStarted = Date.now()

    // Level by level: each parent gets one code (FANOUT uses) minted for it; its children register with it.
    const [rootCode] = await admin.mintInviteCodes({ count: 1 })
    const register = async (code: string, i: number): Promise<Member> => {
      const url = d.urls[i % d.urls.length]!
      const http = new ChatHttp({ baseUrl: url })
      const a = await http.register({
        username: `fz${tag}_${i}`,
        password: 'bench-password-1',
        inviteCode: code,
      })
      return { id: a.user.id, token: a.token, url }
    }
    let seq = 0
    const members: Member[] = [await register(rootCode!.code, seq++)]
    let level = [members[0]!]
    while (members.length < USERS && level.length > 0) {
      const next: Member[] = []
      const jobs: (() => Promise<void>)[] = []
      let left = USERS - members.length
      for (const parent of level) {
        const children = Math.min(FANOUT, left)
        if (children <= 0) break
        left -= children
        jobs.push(async () => {
          const [code] = await admin.mintInviteCodes({ count: 1, maxUses: children, for: parent.id })
          for (let c = 0; c < children; c++) next.push(await register(code!.code, seq++))
        })
      }
      await runParallel(jobs, 16)
      members.push(...next)
      level = next
    }
    // Unused codes held by members, for revokeCodes to find.
    await runParallel(
      members.slice(1, 1 + SPARE).map((m) => async () => {
        await admin.mintInviteCodes({ count: 1, for: m.id })
      }),
      16,
    )
    // Sockets on both instances.
    const sockets = await Promise.all(
      members.slice(0, SOCKETS).map(
        (m, i) =>
          new Promise<WebSocket>((resolve, reject) => {
            const url = d.urls[i % d.urls.length]!.replace(/^http/, 'ws')
            const ws = new WebSocket(`${url}/ws`, { headers: { authorization: `Bearer ${m.token}` } })
            ws.once('open', () => resolve(ws))
            ws.once('error', reject)
          }),
      ),
    )
    const closed = sockets.map((ws) => new Promise<number>((r) => ws.once('close', () => r(Date.now()))))
    console.log(
      `${d.backend}, ${d.urls.length} instances: a tree of ${int(members.length)} users (fan-out ${FANOUT}), ` +
        `${int(sockets.length)} sockets, ${int(SPARE)} unused held codes; set up in ${((Date.now() - setupStarted) / 1000).toFixed(1)} s`,
    )

    const started = performance.now()
    const startedAt = Date.now()
    const answer = await admin.freeze(members[0]!.id, { subtree: true, revokeCodes: true })
    const took = performance.now() - started
    const lastClosed = Math.max(...(await Promise.all(closed)))
    console.log(
      `POST /freeze {subtree, revokeCodes}: ${ms(took)} for ${int(answer.frozen.length)} users, ` +
        `${int(answer.codesRevoked)} codes revoked (goal ≤ 5,000 ms: ${took <= 5000 ? 'met' : 'not met'})`,
    )
    console.log(`every socket of the tree closed ${ms(lastClosed - startedAt)} after the request began`)
    if (answer.frozen.length !== members.length)
      throw new Error(`frozen ${answer.frozen.length} of ${members.length}`)
  } finally {
    await d.stop()
  }
}

async function runParallel(jobs: (() => Promise<void>)[], parallel: number): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(parallel, jobs.length) }, async () => {
      for (let i = next++; i < jobs.length; i = next++) await jobs[i]!()
    }),
  )
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
