// A freeze on instance A holds on instance B: a ban's revocation closes the frozen users'
// sockets on B, and, with users of the subtree sending on both instances while the freeze runs,
// no message of theirs is stored once the freeze has answered: every stored one was acked
// before, and every send begun after is refused with MUTED. Over MongoDB-wire + Redis.
import t from 'tap'
import type { App } from '../../src/app.ts'
import { type Caller, call, loginAdmin } from '../helpers/api.ts'
import { buildTestApp, sharedEnv } from '../helpers/app.ts'
import { mongoUrl, needServer, redisUrl } from '../helpers/servers.ts'
import { connect, joinRoom, listen } from '../helpers/ws.ts'

let n = 0
async function register(app: App, inviteCode: string): Promise<Caller> {
  const username = `fz${process.pid % 1000}_${n++}`
  const res = await call(app, 'POST', '/api/auth/register', {
    body: { username, password: 'password-123', inviteCode },
  })
  if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`)
  return { token: res.body.token, userId: res.body.user.id, username }
}

/** A root invited by the admin and `count` users below it (each invited by the one before). */
async function subtree(app: App, admin: Caller, count: number): Promise<Caller[]> {
  const mint = async (who: Caller) =>
    (await call(app, 'POST', '/api/me/invite-codes', { as: who, body: {} })).body.codes[0].code
  const first = (await call(app, 'POST', '/api/admin/invite-codes', { as: admin, body: { count: 1 } })).body
    .codes[0].code
  const users = [await register(app, first)]
  for (let i = 0; i < count; i++) users.push(await register(app, await mint(users.at(-1)!)))
  return users
}

t.test('freezes across instances', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl) || !needServer(t, 'Redis', redisUrl)) return
  const shared = sharedEnv(t, { MEMBER_INVITES_PER_DAY: '1000' }, { scaled: true })
  const a = await buildTestApp(t, shared)
  const b = await buildTestApp(t, shared)
  const admin = await loginAdmin(a)

  t.test("a ban on A closes the frozen users' sockets on B", async (t) => {
    const users = await subtree(a, admin, 2)
    const url = await listen(b)
    const sockets = await Promise.all(users.map((u) => connect(url, { token: u.token })))
    t.teardown(() => {
      for (const s of sockets) s.close()
    })
    const res = await call(a, 'POST', `/api/admin/users/${users[0]!.userId}/freeze`, {
      as: admin,
      body: { subtree: true },
    })
    t.equal(res.status, 200)
    t.equal(res.body.frozen.length, 3)
    for (const [i, s] of sockets.entries())
      t.equal((await s.waitClosed()).code, 4001, `user ${i}'s socket on B closed as revoked`)
    for (const u of users) t.equal((await call(b, 'GET', '/api/me', { as: u })).status, 401, 'refused on B')
  })

  t.test('sends racing a freeze: none stored after it answered, on either instance', async (t) => {
    const users = await subtree(a, admin, 3)
    const room = (await call(a, 'POST', '/api/rooms', { as: admin, body: { name: 'race' } })).body.room.id
    for (const u of users) t.equal((await call(a, 'POST', `/api/rooms/${room}/join`, { as: u })).status, 200)
    // One socket sender on B as well as HTTP on both.
    const socket = await connect(await listen(b), { token: users[0]!.token })
    t.teardown(() => socket.close())
    await joinRoom(socket, room)

    let order = 0
    let answeredAt = Number.POSITIVE_INFINITY
    const acked = new Map<string, number>()
    const afterRefusals: string[] = []
    let storedAfter = 0
    let sentBefore = 0
    /** Sends each sender makes once the freeze has answered. */
    const AFTER = 5
    let go!: () => void
    const started = new Promise<void>((r) => {
      go = r
    })
    const settle = (ref: string, ok: boolean, code: string, beganAfter: boolean) => {
      const at = ++order
      if (ok) {
        acked.set(ref, at)
        if (beganAfter) storedAfter++
        else sentBefore++
        if (acked.size >= 10) go()
      } else if (beganAfter) afterRefusals.push(code)
    }
    const loop = async (who: Caller, app: App, tag: string) => {
      for (let i = 0, left = AFTER; ; i++) {
        const beganAfter = order >= answeredAt
        if (beganAfter && left-- <= 0) return
        const ref = `${tag}-${i}`
        const res = await call(app, 'POST', `/api/rooms/${room}/messages`, {
          as: who,
          body: { text: ref, clientMsgId: ref },
        })
        settle(ref, res.status === 201, res.body?.code, beganAfter)
      }
    }
    const socketLoop = async () => {
      for (let i = 0, left = AFTER; ; i++) {
        const beganAfter = order >= answeredAt
        if (beganAfter && left-- <= 0) return
        const ref = `ws-${i}`
        const from = socket.frames.length
        socket.send({ type: 'send', room, clientMsgId: ref, text: ref })
        const f = await socket.next(
          (f) => (f.type === 'ack' && f.clientMsgId === ref) || (f.type === 'error' && f.ref === ref),
          5000,
          from,
        )
        settle(ref, f.type === 'ack', f.code, beganAfter)
      }
    }
    const loops = [...users.flatMap((u, k) => [loop(u, a, `u${k}a`), loop(u, b, `u${k}b`)]), socketLoop()]
    await started
    const res = await call(a, 'POST', `/api/admin/users/${users[0]!.userId}/freeze`, {
      as: admin,
      body: { subtree: true, minutes: 10 },
    })
    answeredAt = ++order
    t.equal(res.status, 200)
    t.equal(res.body.frozen.length, users.length)
    await Promise.all(loops)

    t.ok(sentBefore > 0, `${sentBefore} sends were stored before the freeze answered`)
    t.equal(storedAfter, 0, 'no send begun after the answer was stored')
    t.equal(afterRefusals.length, AFTER * (users.length * 2 + 1), 'every sender went on after the answer')
    t.ok(
      afterRefusals.every((code) => code === 'MUTED'),
      `all refused MUTED: ${[...new Set(afterRefusals)]}`,
    )
    const ids = new Set(users.map((u) => u.userId))
    const stored = (await a.core.internals.store.messages.history(room, { after: 0, limit: 10_000 })).filter(
      (m) => m.from && ids.has(m.from.id),
    )
    const late = stored.filter(
      (m) => (acked.get(m.clientMsgId ?? '') ?? Number.POSITIVE_INFINITY) > answeredAt,
    )
    t.same(
      late.map((m) => m.clientMsgId),
      [],
      `every one of the ${stored.length} stored messages was acked before the freeze answered`,
    )
    t.equal(stored.length, acked.size, 'and each stored one was acked')
  })
})
