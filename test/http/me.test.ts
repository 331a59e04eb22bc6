import t from 'tap'
import { call, login, loginAdmin, mintCodes, newUser } from '../helpers/api.ts'
import { backendName, buildTestApp } from '../helpers/app.ts'
import { atTime } from '../helpers/clock.ts'

const DAY = 86_400_000

t.test(`the personal centre on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const admin = await loginAdmin(app)

  t.test('GET /api/me returns the own view', async (t) => {
    const user = await newUser(app, 'centre_user')
    const res = await call(app, 'GET', '/api/me', { as: user })
    t.equal(res.status, 200)
    t.same(
      Object.keys(res.body.user).sort(),
      [
        'avatarUrl',
        'banned',
        'blocked',
        'bio',
        'createdAt',
        'displayName',
        'email',
        'emailVerified',
        'id',
        'role',
        'rooms',
        'theme',
        'totpEnabled',
        'username',
        'vip',
      ].sort(),
    )
    t.ok(Date.parse(res.body.user.createdAt))
    t.equal(res.body.user.email, null, 'no mail address until one is given')
    t.equal(res.body.user.emailVerified, false)
  })

  t.test('GET /api/auth/session: the own view, or 200 user null without a live session', async (t) => {
    const user = await newUser(app, 'session_user')
    const signed = await call(app, 'GET', '/api/auth/session', { as: user })
    t.equal(signed.status, 200)
    t.same(
      signed.body.user,
      (await call(app, 'GET', '/api/me', { as: user })).body.user,
      'the same view as /api/me',
    )
    const anonymous = await call(app, 'GET', '/api/auth/session')
    t.equal(anonymous.status, 200, 'a visit without a session is not an error')
    t.same(anonymous.body, { user: null })
    const forged = await call(app, 'GET', '/api/auth/session', { as: 'not-a-token' })
    t.same([forged.status, forged.body], [200, { user: null }], 'a bad token is no session')
    await call(app, 'POST', '/api/auth/logout', { as: user })
    const ended = await call(app, 'GET', '/api/auth/session', { as: user })
    t.same([ended.status, ended.body], [200, { user: null }], 'a revoked session is no session')
  })

  t.test('PATCH /api/me changes display name, bio and theme; rejects bad values', async (t) => {
    const user = await newUser(app)
    // Read first, so that the view and answer kept for the user must give way to the change.
    t.not((await call(app, 'GET', '/api/me', { as: user })).body.user.displayName, 'Zoë 🦊')
    const res = await call(app, 'PATCH', '/api/me', {
      as: user,
      body: { displayName: 'Zoë 🦊', bio: '𝒽𝑒𝓁𝓁𝑜 — 你好 👨‍👩‍👧', theme: { mode: 'dark', accent: '#12abEF' } },
    })
    t.equal(res.status, 200)
    t.equal(res.body.user.displayName, 'Zoë 🦊')
    t.equal(res.body.user.bio, '𝒽𝑒𝓁𝓁𝑜 — 你好 👨‍👩‍👧')
    t.same(res.body.user.theme, { mode: 'dark', accent: '#12abEF' })
    const again = await call(app, 'GET', '/api/me', { as: user })
    t.same(again.body.user.theme, { mode: 'dark', accent: '#12abEF' }, 'stored')
    t.equal(again.body.user.displayName, 'Zoë 🦊', 'the new view, not the one read before')
    const onlyMode = await call(app, 'PATCH', '/api/me', { as: user, body: { theme: { mode: 'light' } } })
    t.same(onlyMode.body.user.theme, { mode: 'light' }, 'the theme is replaced whole')
    for (const body of [
      { theme: { mode: 'neon' } },
      { theme: { mode: 'dark', accent: 'red' } },
      { theme: {} },
      { displayName: '' },
      { displayName: 'x'.repeat(65) },
      { bio: 'b'.repeat(1001) },
    ]) {
      const bad = await call(app, 'PATCH', '/api/me', { as: user, body })
      t.equal(bad.status, 400, JSON.stringify(body))
      t.equal(bad.body.code, 'VALIDATION')
    }
    t.equal(
      (await call(app, 'GET', '/api/me', { as: user })).body.user.displayName,
      'Zoë 🦊',
      'nothing stored was lost',
    )
  })

  t.test('POST /api/me/password: wrong current → 400; success revokes the other sessions only', async (t) => {
    const user = await newUser(app, 'pw_changer', 'first-password')
    const other = await login(app, 'pw_changer', 'first-password')
    const wrong = await call(app, 'POST', '/api/me/password', {
      as: user,
      body: { currentPassword: 'nope-nope', newPassword: 'second-password' },
    })
    t.equal(wrong.status, 400)
    t.equal(wrong.body.code, 'BAD_CREDENTIALS')
    const short = await call(app, 'POST', '/api/me/password', {
      as: user,
      body: { currentPassword: 'first-password', newPassword: 'short' },
    })
    t.equal(short.body.code, 'VALIDATION')
    const ok = await call(app, 'POST', '/api/me/password', {
      as: user,
      body: { currentPassword: 'first-password', newPassword: 'second-password' },
    })
    t.equal(ok.status, 204)
    t.equal((await call(app, 'GET', '/api/me', { as: user })).status, 200, 'this session stays')
    t.equal((await call(app, 'GET', '/api/me', { as: other })).status, 401, 'the other is revoked')
    t.equal(
      (
        await call(app, 'POST', '/api/auth/login', {
          body: { username: 'pw_changer', password: 'first-password' },
        })
      ).status,
      401,
    )
    t.ok(await login(app, 'pw_changer', 'second-password'))
  })

  t.test(
    'POST /api/me/vip: extends from max(now, expiry); INVALID_CODE for used, unknown or invite codes',
    async (t) => {
      const user = await newUser(app)
      const [c30, c10] = await mintCodes(app, admin, 'activation', { count: 2, vipDays: 30 })
      const before = Date.now()
      const first = await call(app, 'POST', '/api/me/vip', { as: user, body: { code: c30 } })
      t.equal(first.status, 200)
      t.equal(first.body.user.vip.active, true)
      const exp1 = Date.parse(first.body.user.vip.expiresAt)
      t.ok(exp1 >= before + 30 * DAY && exp1 <= Date.now() + 30 * DAY)
      const second = await call(app, 'POST', '/api/me/vip', { as: user, body: { code: c10 } })
      t.equal(Date.parse(second.body.user.vip.expiresAt), exp1 + 30 * DAY, 'stacks on the current expiry')
      const reused = await call(app, 'POST', '/api/me/vip', { as: user, body: { code: c30 } })
      t.equal(reused.status, 400)
      t.equal(reused.body.code, 'INVALID_CODE')
      const [invite] = await mintCodes(app, admin, 'invite', { count: 1 })
      t.equal(
        (await call(app, 'POST', '/api/me/vip', { as: user, body: { code: invite } })).body.code,
        'INVALID_CODE',
        'an invite is not an activation code',
      )
      t.equal(
        (await call(app, 'POST', '/api/me/vip', { as: user, body: { code: 'ZZZZ-ZZZZ' } })).body.code,
        'INVALID_CODE',
      )
      t.equal((await call(app, 'POST', '/api/me/vip', { as: user, body: {} })).body.code, 'VALIDATION')
    },
  )

  t.test('VIP ends the moment it expires', async (t) => {
    const user = await newUser(app)
    const [code] = await mintCodes(app, admin, 'activation', { count: 1, vipDays: 1 })
    await call(app, 'POST', '/api/me/vip', { as: user, body: { code } })
    const before = await call(app, 'GET', '/api/me', { as: user })
    t.equal(before.body.user.vip.active, true)
    // Move the clock past the expiry: `active` is never stored, and the view (and answer) kept for
    // the user since the read above is not used past the moment it would change.
    const res = await atTime(Date.now() + DAY + 1000, () => call(app, 'GET', '/api/me', { as: user }))
    t.equal(res.body.user.vip.active, false)
    t.ok(res.body.user.vip.expiresAt, 'the expiry is still shown, for the client to display')
  })

  t.test('concurrent VIP redemptions by one user all count', async (t) => {
    const user = await newUser(app)
    const codes = await mintCodes(app, admin, 'activation', { count: 5, vipDays: 2 })
    const start = Date.now()
    await Promise.all(codes.map((code) => call(app, 'POST', '/api/me/vip', { as: user, body: { code } })))
    const me = await call(app, 'GET', '/api/me', { as: user })
    const days = (Date.parse(me.body.user.vip.expiresAt) - start) / DAY
    t.ok(days >= 9.99 && days <= 10.01, `10 days, got ${days}`)
  })
})
