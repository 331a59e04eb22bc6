import t from 'tap'
import { call, login, loginAdmin, mintCodes, newUser } from '../helpers/api.ts'
import { backendName, buildTestApp, sharedEnv } from '../helpers/app.ts'

t.test(`admin on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const admin = await loginAdmin(app)

  t.test('only admins reach /api/admin: 401 without a session, 403 FORBIDDEN for users', async (t) => {
    const user = await newUser(app)
    t.equal((await call(app, 'POST', '/api/admin/invite-codes', { body: { count: 1 } })).status, 401)
    const res = await call(app, 'POST', '/api/admin/invite-codes', { as: user, body: { count: 1 } })
    t.equal(res.status, 403)
    t.equal(res.body.code, 'FORBIDDEN')
    t.equal((await call(app, 'GET', '/api/admin/codes', { as: user })).status, 403)
  })

  t.test('GET /api/admin/users: the directory with each user banned or not; admins only', async (t) => {
    const user = await newUser(app, 'listed_user')
    t.equal((await call(app, 'GET', '/api/admin/users', { as: user })).status, 403, 'not for users')
    const ban = await call(app, 'PATCH', `/api/admin/users/${user.userId}`, {
      as: admin,
      body: { banned: true },
    })
    t.equal(ban.status, 200)
    const res = await call(app, 'GET', '/api/admin/users?q=listed', { as: admin })
    t.equal(res.status, 200)
    t.equal(res.body.items.length, 1)
    t.match(res.body.items[0], { id: user.userId, username: 'listed_user', role: 'user', banned: true })
    t.notOk('totpEnabled' in res.body.items[0], 'no more than the public view and the ban')
    const all = await call(app, 'GET', '/api/admin/users?limit=200', { as: admin })
    t.match(
      all.body.items.find((u: { role: string }) => u.role === 'admin'),
      { banned: false },
      'the admin is listed, not banned',
    )
  })

  t.test('minting: 201 with plain codes once; validation of count, maxUses, vipDays', async (t) => {
    const res = await call(app, 'POST', '/api/admin/invite-codes', {
      as: admin,
      body: { count: 3, maxUses: 5, expiresInDays: 2 },
    })
    t.equal(res.status, 201)
    t.equal(res.body.codes.length, 3)
    for (const c of res.body.codes) {
      t.match(c.code, /^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/)
      t.match(c, { type: 'invite', status: 'unused', maxUses: 5, uses: 0, vipDays: null })
      t.equal(c.hint, c.code.slice(0, 4))
    }
    t.equal(new Set(res.body.codes.map((c: { code: string }) => c.code)).size, 3, 'distinct')
    const act = await call(app, 'POST', '/api/admin/activation-codes', {
      as: admin,
      body: { count: 2, vipDays: 31 },
    })
    t.equal(act.status, 201)
    t.match(act.body.codes[0], { type: 'activation', vipDays: 31, maxUses: 1, expiresAt: null })
    for (const body of [{ count: 0 }, { count: 501 }, { count: 1, maxUses: 0 }, {}]) {
      const bad = await call(app, 'POST', '/api/admin/invite-codes', { as: admin, body })
      t.equal(bad.status, 400, JSON.stringify(body))
      t.equal(bad.body.code, 'VALIDATION')
    }
    t.equal(
      (await call(app, 'POST', '/api/admin/activation-codes', { as: admin, body: { count: 1 } })).status,
      400,
      'vipDays required',
    )
    const big = await call(app, 'POST', '/api/admin/invite-codes', { as: admin, body: { count: 500 } })
    t.equal(big.body.codes.length, 500)
  })

  t.test('listing codes: never the plain code; filters by type and status; paged', async (t) => {
    const fresh = await call(app, 'POST', '/api/admin/activation-codes', {
      as: admin,
      body: { count: 3, vipDays: 1 },
    })
    const [a, b] = fresh.body.codes
    const user = await newUser(app)
    await call(app, 'POST', '/api/me/vip', { as: user, body: { code: a.code } })
    await call(app, 'DELETE', `/api/admin/codes/${b.id}`, { as: admin })

    const used = await call(app, 'GET', '/api/admin/codes?type=activation&status=used', { as: admin })
    t.equal(used.status, 200)
    t.ok(used.body.items.some((c: { id: string }) => c.id === a.id))
    t.ok(
      used.body.items.every(
        (c: { status: string; type: string }) => c.status === 'used' && c.type === 'activation',
      ),
    )
    const revoked = await call(app, 'GET', '/api/admin/codes?status=revoked', { as: admin })
    t.same(
      revoked.body.items.map((c: { id: string }) => c.id),
      [b.id],
    )
    t.match(revoked.body.items[0].revokedAt, /Z$/)
    t.notOk(JSON.stringify(used.body).includes(a.code), 'no plain code in lists')
    t.notOk(JSON.stringify(used.body).match(/"hash"|"code":/), 'no hash in lists')

    const seen = new Set<string>()
    let cursor: string | null = null
    let pages = 0
    do {
      const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await call(
        app,
        'GET',
        `/api/admin/codes?limit=200${cursor ? `&cursor=${cursor}` : ''}`,
        { as: admin },
      )
      for (const c of page.body.items) {
        t.notOk(seen.has(c.id), 'no repeat')
        seen.add(c.id)
      }
      cursor = page.body.nextCursor
      pages++
    } while (cursor)
    t.ok(seen.size >= 500 && pages >= 3, `${seen.size} codes over ${pages} pages`)
    t.equal((await call(app, 'GET', '/api/admin/codes?status=bogus', { as: admin })).status, 400)
    t.equal((await call(app, 'GET', '/api/admin/codes?limit=201', { as: admin })).status, 400)
    t.equal((await call(app, 'GET', '/api/admin/codes?cursor=%%%', { as: admin })).body.code, 'VALIDATION')
  })

  t.test('revoking: 204, then unusable; 404 for unknown; 400 for a malformed id', async (t) => {
    const [code] = (await call(app, 'POST', '/api/admin/invite-codes', { as: admin, body: { count: 1 } }))
      .body.codes
    t.equal((await call(app, 'DELETE', `/api/admin/codes/${code.id}`, { as: admin })).status, 204)
    t.equal(
      (await call(app, 'DELETE', `/api/admin/codes/${code.id}`, { as: admin })).status,
      204,
      'idempotent',
    )
    const reg = await call(app, 'POST', '/api/auth/register', {
      body: { username: 'too_late', password: 'long enough', inviteCode: code.code },
    })
    t.equal(reg.body.code, 'INVALID_CODE')
    const missing = await call(app, 'DELETE', '/api/admin/codes/0123456789abcdef01234567', { as: admin })
    t.equal(missing.status, 404)
    t.equal(missing.body.code, 'NOT_FOUND')
    t.equal((await call(app, 'DELETE', '/api/admin/codes/nope', { as: admin })).status, 400)
  })

  t.test('50 concurrent redemptions of a one-use activation code: exactly one succeeds', async (t) => {
    const [code] = await mintCodes(app, admin, 'activation', { count: 1, vipDays: 7 })
    const users = await Promise.all(Array.from({ length: 50 }, (_, i) => newUser(app, `racer_${i}`)))
    const answers = await Promise.all(
      users.map((u) => call(app, 'POST', '/api/me/vip', { as: u, body: { code } })),
    )
    t.equal(answers.filter((a) => a.status === 200).length, 1, 'one success')
    t.equal(
      answers.filter((a) => a.status === 400 && a.body.code === 'INVALID_CODE').length,
      49,
      '49 INVALID_CODE',
    )
  })

  t.test('50 concurrent registrations with a one-use invite: exactly one account', async (t) => {
    const [code] = await mintCodes(app, admin, 'invite', { count: 1 })
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call(app, 'POST', '/api/auth/register', {
          body: { username: `rush_${i}`, password: 'long enough', inviteCode: code },
        }),
      ),
    )
    const created = answers.filter((a) => a.status === 201)
    t.equal(created.length, 1, 'one registration answered 201')
    // The accounts themselves, as the user directory lists them: a 201 is not an account.
    const listed = await call(app, 'GET', '/api/users?q=rush_&limit=100', { as: admin })
    t.equal(listed.status, 200)
    t.same(
      listed.body.items.map((u: { username: string }) => u.username),
      created.map((a) => a.body.user.username),
      'exactly one rush_ account exists, the one answered 201',
    )
  })

  t.test('roles and bans: PATCH /api/admin/users/:id', async (t) => {
    const user = await newUser(app, 'promoted')
    const promote = await call(app, 'PATCH', `/api/admin/users/${user.userId}`, {
      as: admin,
      body: { role: 'admin' },
    })
    t.equal(promote.status, 200)
    t.equal(promote.body.user.role, 'admin')
    t.equal(
      (await call(app, 'GET', '/api/admin/codes', { as: user })).status,
      200,
      'the new admin can act at once',
    )
    await call(app, 'PATCH', `/api/admin/users/${user.userId}`, { as: admin, body: { role: 'user' } })
    t.equal((await call(app, 'GET', '/api/admin/codes', { as: user })).status, 403, 'and is demoted at once')

    const victim = await newUser(app, 'banned_one', 'password-123')
    const ban = await call(app, 'PATCH', `/api/admin/users/${victim.userId}`, {
      as: admin,
      body: { banned: true },
    })
    t.equal(ban.status, 200)
    t.equal(ban.body.user.banned, true)
    t.equal((await call(app, 'GET', '/api/me', { as: victim })).status, 401, 'sessions revoked')
    const relog = await call(app, 'POST', '/api/auth/login', {
      body: { username: 'banned_one', password: 'password-123' },
    })
    t.equal(relog.status, 403)
    t.equal(relog.body.code, 'BANNED')
    await call(app, 'PATCH', `/api/admin/users/${victim.userId}`, { as: admin, body: { banned: false } })
    t.ok(await login(app, 'banned_one', 'password-123'), 'unbanned users sign in again')

    t.equal(
      (
        await call(app, 'PATCH', '/api/admin/users/0123456789abcdef01234567', {
          as: admin,
          body: { role: 'admin' },
        })
      ).status,
      404,
    )
    t.equal(
      (await call(app, 'PATCH', `/api/admin/users/${user.userId}`, { as: admin, body: { role: 'god' } }))
        .status,
      400,
    )
    t.equal(
      (await call(app, 'PATCH', `/api/admin/users/${user.userId}`, { as: user, body: { role: 'admin' } }))
        .status,
      403,
    )
  })
})

t.test(`the first admin on ${backendName}`, async (t) => {
  t.test('ADMIN_USERNAME/ADMIN_PASSWORD create it at start, once', async (t) => {
    const shared = sharedEnv(t, { ADMIN_USERNAME: 'Root_Admin', ADMIN_PASSWORD: 'root-password' })
    const app = await buildTestApp(t, shared)
    const root = await login(app, 'root_admin', 'root-password')
    t.equal((await call(app, 'GET', '/api/me', { as: root })).body.user.role, 'admin')
    t.same(await app.core.accounts.ensureAdmin('Root_Admin', 'root-password'), {}, 'nothing more to do')
  })

  t.test(
    'with neither set, an empty store gets one single-use bootstrap code that registers an admin',
    async (t) => {
      const shared = sharedEnv(t)
      delete shared.env.ADMIN_USERNAME
      delete shared.env.ADMIN_PASSWORD
      const app = await buildTestApp(t, shared)
      const { bootstrapCode } = await app.core.accounts.ensureAdmin()
      t.ok(bootstrapCode)
      const res = await call(app, 'POST', '/api/auth/register', {
        body: { username: 'first_admin', password: 'long enough', inviteCode: bootstrapCode },
      })
      t.equal(res.status, 201)
      t.equal(res.body.user.role, 'admin')
      const again = await call(app, 'POST', '/api/auth/register', {
        body: { username: 'second', password: 'long enough', inviteCode: bootstrapCode },
      })
      t.equal(again.body.code, 'INVALID_CODE', 'once')
      t.same(await app.core.accounts.ensureAdmin(), {}, 'no new code once an admin exists')
    },
  )
})
