// Invitation lineage and freezes over HTTP (and the socket for a mute): who invited whom is
// recorded for every kind of code, members mint codes of their own within a daily limit, the
// tree is shown to admins, and a freeze bans or mutes a user and their subtree in one audited
// action, idempotently, never the acting admin nor the last admin.
import t from 'tap'
import type { App } from '../../src/app.ts'
import { type Caller, call, login, loginAdmin, mintCodes } from '../helpers/api.ts'
import { backendName, buildTestApp, sharedEnv } from '../helpers/app.ts'
import { connect, joinRoom, listen } from '../helpers/ws.ts'

let n = 0
const PASSWORD = 'password-123'
const fresh = (prefix: string) => `${prefix}${process.pid % 1000}_${n++}`

async function register(app: App, inviteCode: string, username = fresh('u')): Promise<Caller> {
  const res = await call(app, 'POST', '/api/auth/register', {
    body: { username, password: PASSWORD, inviteCode },
  })
  if (res.status !== 201) throw new Error(`register ${username}: ${res.status} ${JSON.stringify(res.body)}`)
  return { token: res.body.token, userId: res.body.user.id, username }
}

/** A member's own code, minted through the API. */
async function ownCode(app: App, who: Caller): Promise<string> {
  const res = await call(app, 'POST', '/api/me/invite-codes', { as: who, body: {} })
  if (res.status !== 201) throw new Error(`own code: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.codes[0].code
}

async function adminView(app: App, admin: Caller, who: Caller) {
  const res = await call(app, 'GET', `/api/admin/users?q=${who.username}`, { as: admin })
  return res.body.items.find((u: { id: string }) => u.id === who.userId)
}

/** root → a → b → c, each registered with the code of the one before (a with an admin's). */
async function chain(app: App, admin: Caller): Promise<Caller[]> {
  const [first] = await mintCodes(app, admin, 'invite', { count: 1 })
  const a = await register(app, first!)
  const b = await register(app, await ownCode(app, a))
  const c = await register(app, await ownCode(app, b))
  return [a, b, c]
}

t.test(`invitation lineage and freezes on ${backendName}`, async (t) => {
  const app = await buildTestApp(t, sharedEnv(t, { MEMBER_INVITES_PER_DAY: '100' }))
  const admin = await loginAdmin(app)

  t.test('invitedBy: an admin code, a code minted for a member, a member’s own code', async (t) => {
    const [code] = await mintCodes(app, admin, 'invite', { count: 1 })
    const m = await register(app, code!)
    t.same((await adminView(app, admin, m)).invitedBy, { id: admin.userId, username: 'admin' })

    const forM = await call(app, 'POST', '/api/admin/invite-codes', {
      as: admin,
      body: { count: 1, for: m.userId },
    })
    t.equal(forM.status, 201)
    const viaHeld = await register(app, forM.body.codes[0].code)
    t.same((await adminView(app, admin, viaHeld)).invitedBy, { id: m.userId, username: m.username })
    t.equal((await app.core.internals.store.codes.get(forM.body.codes[0].id))?.heldBy, m.userId, 'heldBy')
    const stored = await app.core.internals.store.users.get(viaHeld.userId)
    t.equal(stored?.inviteCode, forM.body.codes[0].id, 'the code is recorded')

    const viaOwn = await register(app, await ownCode(app, m))
    t.same((await adminView(app, admin, viaOwn)).invitedBy, { id: m.userId, username: m.username })

    const mine = await call(app, 'GET', '/api/me/invite-codes', { as: m })
    t.equal(mine.status, 200)
    t.equal(mine.body.items.length, 2, 'the held code and the own code')
    t.ok(
      mine.body.items.every((c: { status: string }) => c.status === 'used'),
      'both used',
    )
    t.notOk('code' in mine.body.items[0], 'no plain code in the list')
    t.equal(
      (
        await call(app, 'POST', '/api/admin/invite-codes', {
          as: admin,
          body: { count: 1, for: '0'.repeat(24) },
        })
      ).status,
      404,
      'for an unknown user',
    )
    t.equal(
      (await call(app, 'GET', `/api/users/${m.userId}`, { as: m })).body.user.invitedBy,
      undefined,
      'the public view is unchanged',
    )
  })

  t.test('invitees: depth 1 and 3, with the hint below; 404, 403, 400', async (t) => {
    const [a, b, c] = await chain(app, admin)
    const d = await register(app, await ownCode(app, c!))
    const one = await call(app, 'GET', `/api/admin/users/${a!.userId}/invitees`, { as: admin })
    t.equal(one.status, 200)
    t.match(one.body, {
      user: { id: a!.userId, username: a!.username, banned: false },
      invitedBy: { id: admin.userId, username: 'admin' },
      total: 2,
      truncated: false,
    })
    t.equal(one.body.children.length, 1)
    t.match(one.body.children[0], {
      user: { id: b!.userId },
      invitedBy: { id: a!.userId },
      children: [],
      more: 1,
    })
    const three = await call(app, 'GET', `/api/admin/users/${a!.userId}/invitees?depth=3`, { as: admin })
    t.equal(three.body.total, 4)
    const deepest = three.body.children[0].children[0].children[0]
    t.match(deepest, { user: { id: d.userId }, invitedBy: { id: c!.userId }, children: [] })
    t.notOk('more' in deepest, 'no hint for a leaf')
    t.equal(
      (await call(app, 'GET', `/api/admin/users/${'0'.repeat(24)}/invitees`, { as: admin })).status,
      404,
    )
    t.equal((await call(app, 'GET', `/api/admin/users/${a!.userId}/invitees`, { as: a })).status, 403)
    for (const depth of [0, 11]) {
      const res = await call(app, 'GET', `/api/admin/users/${a!.userId}/invitees?depth=${depth}`, {
        as: admin,
      })
      t.match(res, { status: 400, body: { code: 'VALIDATION' } }, `depth ${depth}`)
    }
  })

  t.test('freeze as a ban: login refused BANNED, an existing session refused; idempotent', async (t) => {
    const [a] = await chain(app, admin)
    const res = await call(app, 'POST', `/api/admin/users/${a!.userId}/freeze`, { as: admin, body: {} })
    t.equal(res.status, 200)
    t.same(res.body.frozen, [a!.userId], 'without subtree: the user alone')
    t.equal((await call(app, 'GET', '/api/me', { as: a })).status, 401, 'the session is gone')
    t.match(
      await call(app, 'POST', '/api/auth/login', { body: { username: a!.username, password: PASSWORD } }),
      { status: 403, body: { code: 'BANNED' } },
    )
    const again = await call(app, 'POST', `/api/admin/users/${a!.userId}/freeze`, { as: admin, body: {} })
    t.equal(again.status, 200)
    t.same(again.body.frozen, res.body.frozen, 'the same list again')
  })

  t.test('freeze with minutes: muted in every room (HTTP and socket), login still works', async (t) => {
    const [a] = await chain(app, admin)
    const room = (await call(app, 'POST', '/api/rooms', { as: admin, body: { name: fresh('room') } })).body
      .room.id
    t.equal((await call(app, 'POST', `/api/rooms/${room}/join`, { as: a })).status, 200)
    const socket = await connect(await listen(app), { token: a!.token })
    t.teardown(() => socket.close())
    await joinRoom(socket, room)
    const res = await call(app, 'POST', `/api/admin/users/${a!.userId}/freeze`, {
      as: admin,
      body: { minutes: 30 },
    })
    t.equal(res.status, 200)
    t.ok(Date.parse(res.body.mutedUntil) > Date.now() + 29 * 60_000)
    t.match(
      await call(app, 'POST', `/api/rooms/${room}/messages`, {
        as: a,
        body: { text: 'hi', clientMsgId: 'x1' },
      }),
      { status: 403, body: { code: 'MUTED' } },
      'HTTP send refused',
    )
    socket.send({ type: 'send', room, clientMsgId: 'x2', text: 'hi' })
    t.match(
      await socket.next((f) => f.type === 'error' && f.ref === 'x2'),
      { code: 'MUTED' },
      'socket send refused',
    )
    t.equal(socket.closed, null, 'the socket stays open')
    t.equal((await call(app, 'GET', '/api/me', { as: a })).status, 200, 'the session stays')
    const again = await login(app, a!.username, PASSWORD)
    t.ok(again.token, 'login works')
    t.match((await adminView(app, admin, a!)).mutedUntil, /^\d{4}-/, 'the admin view shows the mute')
    t.match(
      await call(app, 'POST', '/api/me/invite-codes', { as: a, body: {} }),
      { status: 403, body: { code: 'MUTED' } },
      'a frozen member cannot mint',
    )
  })

  t.test('subtree and revokeCodes: everyone below, their codes dead, one audit entry', async (t) => {
    const [a, b, c] = await chain(app, admin)
    const unused = await ownCode(app, c!)
    const held = await call(app, 'POST', '/api/admin/invite-codes', {
      as: admin,
      body: { count: 1, for: b!.userId },
    })
    const bystander = await register(app, (await mintCodes(app, admin, 'invite', { count: 1 }))[0]!)
    const spare = await ownCode(app, bystander)
    const res = await call(app, 'POST', `/api/admin/users/${a!.userId}/freeze`, {
      as: admin,
      body: { subtree: true, revokeCodes: true },
    })
    t.equal(res.status, 200)
    t.same([...res.body.frozen].sort(), [a!.userId, b!.userId, c!.userId].sort())
    t.equal(res.body.frozen[0], a!.userId, 'the root first')
    t.equal(res.body.codesRevoked, 2, "c's own code and the one held for b")
    for (const code of [unused, held.body.codes[0].code])
      t.match(
        await call(app, 'POST', '/api/auth/register', {
          body: { username: fresh('late'), password: PASSWORD, inviteCode: code },
        }),
        { status: 400, body: { code: 'INVALID_CODE' } },
        'a revoked code registers no one',
      )
    t.ok(await register(app, spare), "a bystander's code still works")
    for (const who of [b!, c!]) t.equal((await call(app, 'GET', '/api/me', { as: who })).status, 401)

    const entries = await call(app, 'GET', `/api/admin/audit?action=user.freeze&target=${a!.userId}`, {
      as: admin,
    })
    t.equal(entries.body.items.length, 1, 'one entry for the whole action')
    t.match(entries.body.items[0], {
      actor: { id: admin.userId },
      action: 'user.freeze',
      target: { id: a!.userId, username: a!.username },
      details: { subtree: true, revokeCodes: true, minutes: null, count: 3, codesRevoked: 2 },
    })
    t.same([...entries.body.items[0].details.users].sort(), [...res.body.frozen].sort())

    const again = await call(app, 'POST', `/api/admin/users/${a!.userId}/freeze`, {
      as: admin,
      body: { subtree: true, revokeCodes: true },
    })
    t.equal(again.status, 200, 'idempotent')
    t.same([...again.body.frozen].sort(), [...res.body.frozen].sort())
    t.equal(again.body.codesRevoked, 0)
  })

  t.test('rules: admins only, never oneself, never the last admin; admins below are skipped', async (t) => {
    const [a, b] = await chain(app, admin)
    t.match(await call(app, 'POST', `/api/admin/users/${b!.userId}/freeze`, { as: a, body: {} }), {
      status: 403,
      body: { code: 'FORBIDDEN' },
    })
    t.match(await call(app, 'POST', `/api/admin/users/${admin.userId}/freeze`, { as: admin, body: {} }), {
      status: 409,
      body: { code: 'SELF_CHANGE' },
    })
    t.match(await call(app, 'POST', `/api/admin/users/${'0'.repeat(24)}/freeze`, { as: admin, body: {} }), {
      status: 404,
    })
    t.match(
      await call(app, 'POST', `/api/admin/users/${b!.userId}/freeze`, { as: admin, body: { minutes: 0 } }),
      { status: 400, body: { code: 'VALIDATION' } },
    )
    // b becomes an admin: a's subtree freeze skips b (and lists it) but not b's invitee.
    await call(app, 'PATCH', `/api/admin/users/${b!.userId}`, { as: admin, body: { role: 'admin' } })
    const res = await call(app, 'POST', `/api/admin/users/${a!.userId}/freeze`, {
      as: admin,
      body: { subtree: true, minutes: 5 },
    })
    t.equal(res.status, 200)
    t.same(res.body.skipped, [b!.userId])
    t.equal(res.body.frozen.length, 2, 'a and c')
    t.notOk(res.body.frozen.includes(b!.userId))

    // The last admin: b is demoted again; with admin alone, a second admin freezing them is refused.
    await call(app, 'PATCH', `/api/admin/users/${b!.userId}`, { as: admin, body: { role: 'user' } })
    const other = await register(app, (await mintCodes(app, admin, 'invite', { count: 1 }))[0]!)
    await call(app, 'PATCH', `/api/admin/users/${other.userId}`, { as: admin, body: { role: 'admin' } })
    const second = await login(app, other.username, PASSWORD)
    const banOther = await call(app, 'POST', `/api/admin/users/${other.userId}/freeze`, {
      as: admin,
      body: {},
    })
    t.equal(banOther.status, 200, 'another admin as the root: frozen')
    t.equal((await call(app, 'GET', '/api/me', { as: second })).status, 401)
    await call(app, 'PATCH', `/api/admin/users/${other.userId}`, { as: admin, body: { banned: false } })
    const third = await login(app, other.username, PASSWORD)
    // Two admins freezing each other at once: never both, and an admin who is not banned remains.
    const racing = await Promise.all([
      call(app, 'POST', `/api/admin/users/${other.userId}/freeze`, { as: admin, body: {} }),
      call(app, 'POST', `/api/admin/users/${admin.userId}/freeze`, { as: third, body: {} }),
    ])
    t.ok(racing.filter((r) => r.status === 200).length <= 1, `not both: ${racing.map((r) => r.status)}`)
    for (const r of racing) if (r.status === 409) t.equal(r.body.code, 'LAST_ADMIN')
    t.ok((await app.core.internals.store.users.countAdmins()) >= 1, 'an admin remains')
  })
})

t.test(`members' own codes: the daily limit and 0 = off on ${backendName}`, async (t) => {
  const app = await buildTestApp(t, sharedEnv(t, { MEMBER_INVITES_PER_DAY: '2' }))
  const admin = await loginAdmin(app)
  const m = await register(app, (await mintCodes(app, admin, 'invite', { count: 1 }))[0]!)
  const first = await call(app, 'POST', '/api/me/invite-codes', { as: m, body: { count: 2 } })
  t.equal(first.status, 201)
  t.equal(first.body.codes.length, 2)
  const over = await call(app, 'POST', '/api/me/invite-codes', { as: m, body: {} })
  t.match(over, { status: 429, body: { code: 'RATE_LIMITED' } })
  t.ok(Number(over.headers['retry-after']) > 0, 'Retry-After')
  t.equal(
    (await call(app, 'GET', '/api/me/invite-codes', { as: m })).body.items.length,
    2,
    'nothing more minted',
  )
  t.equal(
    (await call(app, 'POST', '/api/me/invite-codes', { as: admin, body: { count: 3 } })).status,
    201,
    'admins are not counted',
  )

  const off = await buildTestApp(t, sharedEnv(t, { MEMBER_INVITES_PER_DAY: '0' }))
  const offAdmin = await loginAdmin(off)
  const member = await register(off, (await mintCodes(off, offAdmin, 'invite', { count: 1 }))[0]!)
  t.match(await call(off, 'POST', '/api/me/invite-codes', { as: member, body: {} }), {
    status: 403,
    body: { code: 'INVITES_DISABLED' },
  })
})
