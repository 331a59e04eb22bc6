// Account rules that must hold against a stolen session or a careless admin: two-factor cannot be
// replaced without a current code; there is always an admin who is not banned, and no admin bans
// or demotes themselves; display names cannot hide characters or pass for another user, nor can
// names that read as another user's (Unicode TR39 confusables); one bootstrap code at a time.
import { generate } from 'otplib'
import t from 'tap'
import { call, login, loginAdmin, newUser } from '../helpers/api.ts'
import { ADMIN, backendName, buildTestApp, sharedEnv } from '../helpers/app.ts'
import { shiftedClock } from '../helpers/clock.ts'

// The clock of this file moves to the next 30-second TOTP step instead of waiting for it, so that
// two codes of one test never collide (the server and otplib read the same clock).
const clock = shiftedClock()
t.teardown(clock.restore)
const freshStep = async () => clock.advance(30_000 - (Date.now() % 30_000) + 50)

t.test(`two-factor changes need a current code on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const user = await newUser(app, 'guarded', 'password-123')
  if (Date.now() % 30_000 > 25_000) await freshStep()
  const pw = 'password-123'
  const setup = await call(app, 'POST', '/api/auth/totp/setup', { as: user, body: { password: pw } })
  t.equal(setup.status, 200, 'setup with the password only while two-factor is off')
  const first: string = setup.body.secret
  t.equal(
    (
      await call(app, 'POST', '/api/auth/totp/enable', {
        as: user,
        body: { code: await generate({ secret: first }), password: pw },
      })
    ).status,
    204,
  )

  // Stored sealed: the plain secret is nowhere in the record.
  const record = await app.core.internals.store.users.get(user.userId)
  t.match(record?.totpSecret, /^v1:/, 'the secret is stored sealed')
  t.notOk(JSON.stringify(record).includes(first), 'the plain secret is not in the store')

  // A stolen session alone cannot replace it, even with the password.
  const noCode = await call(app, 'POST', '/api/auth/totp/setup', { as: user, body: { password: pw } })
  t.equal(noCode.status, 400)
  t.equal(noCode.body.code, 'TOTP_REQUIRED')
  const wrong = await call(app, 'POST', '/api/auth/totp/setup', {
    as: user,
    body: { password: pw, code: '000000' },
  })
  t.equal(wrong.body.code, 'BAD_TOTP')
  const attacker = await generate({ secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' })
  const sneaky = await call(app, 'POST', '/api/auth/totp/enable', {
    as: user,
    body: { code: attacker, password: pw },
  })
  t.equal(sneaky.status, 400, 'enable without a pending secret changes nothing')
  t.equal(
    (await app.core.internals.store.users.get(user.userId))?.totpSecret,
    record?.totpSecret,
    'the secret is unchanged',
  )

  // With a current code it can be replaced (a code of the next step: the last one was used).
  await freshStep()
  const replace = await call(app, 'POST', '/api/auth/totp/setup', {
    as: user,
    body: { code: await generate({ secret: first }), password: pw },
  })
  t.equal(replace.status, 200, 'a current code allows a new setup')
  const second: string = replace.body.secret
  t.not(second, first)
  await freshStep()
  t.equal(
    (
      await call(app, 'POST', '/api/auth/totp/enable', {
        as: user,
        body: { code: await generate({ secret: second }), password: pw },
      })
    ).status,
    204,
  )
  await freshStep()
  const signIn = await call(app, 'POST', '/api/auth/login', {
    body: { username: 'guarded', password: 'password-123', totp: await generate({ secret: second }) },
  })
  t.equal(signIn.status, 200, 'the new secret signs in')
})

t.test(`two-factor changes need the current password on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const user = await newUser(app, 'pwguard', 'password-123')
  const post = (path: string, body?: object) => call(app, 'POST', path, { as: user, body })
  if (Date.now() % 30_000 > 25_000) await freshStep()

  // Without the password: refused by the schema, nothing started.
  for (const [path, body] of [
    ['/api/auth/totp/setup', undefined],
    ['/api/auth/totp/setup', {}],
    ['/api/auth/totp/enable', { code: '123456' }],
    ['/api/auth/totp/disable', { code: '123456' }],
  ] as const) {
    const res = await post(path, body)
    t.equal(res.status, 400, `${path} ${JSON.stringify(body)}`)
    t.equal(res.body.code, 'VALIDATION')
  }
  t.equal((await app.core.internals.store.users.get(user.userId))?.totpPending, null, 'no setup started')

  // A wrong password answers exactly as a password change with a wrong current password does.
  const change = await post('/api/me/password', {
    currentPassword: 'not-it-at-all',
    newPassword: 'new-pass-123',
  })
  t.equal(change.status, 400)
  t.equal(change.body.code, 'BAD_CREDENTIALS')
  const setupWrong = await post('/api/auth/totp/setup', { password: 'not-it-at-all' })
  t.same([setupWrong.status, setupWrong.body], [change.status, change.body], 'setup: the same answer')
  t.equal((await app.core.internals.store.users.get(user.userId))?.totpPending, null, 'and no setup started')

  const setup = await post('/api/auth/totp/setup', { password: 'password-123' })
  t.equal(setup.status, 200)
  const code = await generate({ secret: setup.body.secret })
  const enableWrong = await post('/api/auth/totp/enable', { code, password: 'not-it-at-all' })
  t.same([enableWrong.status, enableWrong.body], [change.status, change.body], 'enable: the same answer')
  t.equal((await call(app, 'GET', '/api/me', { as: user })).body.user.totpEnabled, false, 'still off')
  t.equal((await post('/api/auth/totp/enable', { code, password: 'password-123' })).status, 204)

  // Turning it off needs both factors: a current code and the password.
  await freshStep()
  const next = await generate({ secret: setup.body.secret })
  const disableWrong = await post('/api/auth/totp/disable', { code: next, password: 'not-it-at-all' })
  t.same([disableWrong.status, disableWrong.body], [change.status, change.body], 'disable: the same answer')
  t.equal((await call(app, 'GET', '/api/me', { as: user })).body.user.totpEnabled, true, 'still on')
  t.equal((await post('/api/auth/totp/disable', { code: next, password: 'password-123' })).status, 204)
  t.equal((await call(app, 'GET', '/api/me', { as: user })).body.user.totpEnabled, false)
})

t.test(
  `password guesses through a stolen token are throttled as logins are, on ${backendName}`,
  async (t) => {
    const PAIR = 3
    const app = await buildTestApp(t, sharedEnv(t, { RATE_LOGIN_USER_IP: String(PAIR) }))
    const guesses: [string, (password: string) => object][] = [
      ['/api/me/password', (password) => ({ currentPassword: password, newPassword: 'new-pass-123' })],
      ['/api/auth/totp/setup', (password) => ({ password })],
      ['/api/auth/totp/enable', (password) => ({ code: '123456', password })],
      ['/api/auth/totp/disable', (password) => ({ code: '123456', password })],
    ]
    // Through each route alone: PAIR wrong passwords, then 429 with Retry-After, the right one too.
    for (const [path, body] of guesses) {
      const user = await newUser(app)
      const statuses: number[] = []
      for (let k = 0; k <= PAIR; k++)
        statuses.push((await call(app, 'POST', path, { as: user, body: body('wrong-guess') })).status)
      t.same(statuses, [...Array(PAIR).fill(400), 429], `${path}: ${PAIR} wrong passwords, then 429`)
      const right = await call(app, 'POST', path, { as: user, body: body('password-123') })
      t.equal(right.status, 429, `${path}: then the right password waits too`)
      t.equal(right.body.code, 'RATE_LIMITED')
      t.ok(Number(right.headers['retry-after']) >= 1, 'with Retry-After')
    }

    // One budget for every door: guesses here and at the login form add up.
    const user = await newUser(app)
    for (const [path, body] of guesses.slice(0, PAIR))
      t.equal((await call(app, 'POST', path, { as: user, body: body('wrong-guess') })).status, 400)
    const atLogin = await call(app, 'POST', '/api/auth/login', {
      body: { username: user.username, password: 'password-123' },
    })
    t.equal(atLogin.status, 429, 'guesses through the routes of a session count at the login form')
    const other = await newUser(app)
    for (let k = 0; k < PAIR; k++)
      await call(app, 'POST', '/api/auth/login', {
        body: { username: other.username, password: 'wrong-guess' },
      })
    const afterLogins = await call(app, 'POST', '/api/auth/totp/setup', {
      as: other,
      body: { password: 'password-123' },
    })
    t.equal(afterLogins.status, 429, 'and failed logins count here')
  },
)

t.test(
  `a TOTP secret stored in plain text still works and is sealed on use, on ${backendName}`,
  async (t) => {
    const app = await buildTestApp(t)
    const user = await newUser(app, 'legacy2fa', 'password-123')
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'
    await app.core.internals.store.users.update(user.userId, { totpSecret: secret })
    if (Date.now() % 30_000 > 25_000) await freshStep()
    const res = await call(app, 'POST', '/api/auth/login', {
      body: { username: 'legacy2fa', password: 'password-123', totp: await generate({ secret }) },
    })
    t.equal(res.status, 200, 'the plain secret is read as it is')
    const after = await app.core.internals.store.users.get(user.userId)
    t.match(after?.totpSecret, /^v1:/, 'and sealed after its use')
  },
)

t.test(`admins keep an admin, and cannot ban or demote themselves, on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const admin = await loginAdmin(app)
  const patch = (as: typeof admin, id: string, body: object) =>
    call(app, 'PATCH', `/api/admin/users/${id}`, { as, body })

  for (const body of [{ banned: true }, { role: 'user' }]) {
    const self = await patch(admin, admin.userId, body)
    t.equal(self.status, 409, `self ${JSON.stringify(body)}`)
    t.equal(self.body.code, 'SELF_CHANGE')
  }
  t.equal((await patch(admin, admin.userId, { role: 'admin', banned: false })).status, 200, 'a no-op is fine')

  const second = await newUser(app, 'second_admin', 'password-123')
  t.equal((await patch(admin, second.userId, { role: 'admin' })).status, 200)
  const deputy = await login(app, 'second_admin', 'password-123')
  t.equal(
    (await patch(deputy, admin.userId, { role: 'user' })).status,
    200,
    'one of two admins may be demoted',
  )
  const last = await patch(deputy, admin.userId, { role: 'admin' })
  t.equal(last.status, 200, 'and promoted again')

  // Two admins ban each other at the same moment: at most one succeeds; one admin stays.
  const admin2 = await login(app, ADMIN.username, ADMIN.password)
  const both = await Promise.all([
    patch(admin2, second.userId, { banned: true }),
    patch(deputy, admin.userId, { banned: true }),
  ])
  t.ok(
    both.filter((r) => r.status === 200).length <= 1,
    `at most one ban passes (${both.map((r) => `${r.status} ${r.body.code ?? ''}`).join(', ')})`,
  )
  t.ok((await app.core.internals.store.users.countAdmins()) >= 1, 'an admin who is not banned remains')
  // The other is refused as the last admin, or its sender was banned (and signed out) first.
  for (const r of both)
    if (r.status !== 200) t.match(r.body.code, /^(LAST_ADMIN|UNAUTHENTICATED)$/, `refused: ${r.body.code}`)
})

t.test(`display names are cleaned on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const user = await newUser(app, 'namer', 'password-123')
  const set = (displayName: string) => call(app, 'PATCH', '/api/me', { as: user, body: { displayName } })
  const cleaned = await set('Ev\u202Eil\u200B Twin\u2066 \u0007x')
  t.equal(cleaned.status, 200)
  t.equal(cleaned.body.user.displayName, 'Evil Twin x', 'bidi, zero-width and control characters removed')
  t.equal((await set('👩\u200D💻 coder')).body.user.displayName, '👩\u200D💻 coder', 'emoji sequences kept')
  const hidden = await set('\u200B\u202E')
  t.equal(hidden.status, 400, 'nothing left')
  t.equal(hidden.body.code, 'VALIDATION')
  for (const name of ['admin', 'ADMIN', 'ad\u200Bmin']) {
    const taken = await set(name)
    t.equal(taken.status, 409, `"${name}" is the admin's username`)
    t.equal(taken.body.code, 'NAME_TAKEN')
  }
  t.equal((await set('namer')).status, 200, 'one may use one\u2019s own username')
  const [minted] = await app.core.codes.mint('invite', { count: 1, createdBy: null })
  const reg = await call(app, 'POST', '/api/auth/register', {
    body: { username: 'impostor', password: 'password-123', inviteCode: minted!.code, displayName: 'Admin' },
  })
  t.equal(reg.body.code, 'NAME_TAKEN', 'registration too')
})

t.test(`names confusable with another user's are refused as exact copies on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const register = async (username: string, displayName?: string) => {
    const [minted] = await app.core.codes.mint('invite', { count: 1, createdBy: null })
    return call(app, 'POST', '/api/auth/register', {
      body: { username, password: 'password-123', inviteCode: minted!.code, displayName },
    })
  }
  const mike = await register('mike_rules', 'Mike Rules')
  t.equal(mike.status, 201)
  for (const [username, displayName] of [['rnike_rules'], ['MIKE_RULES'], ['other_rules', 'Мikе Rules']]) {
    const res = await register(username!, displayName)
    t.equal(res.status, 409, `${username} ${displayName ?? ''} reads as mike's`)
    t.equal(res.body.code, displayName ? 'NAME_TAKEN' : 'USERNAME_TAKEN')
  }
  const eve = await newUser(app, 'eve_rules')
  const set = (displayName: string) => call(app, 'PATCH', '/api/me', { as: eve, body: { displayName } })
  for (const name of ['аdmin', 'ａｄｍｉｎ', 'Mike Rules', 'MIKE RULES', 'mike_ruIes']) {
    const taken = await set(name)
    t.equal(taken.status, 409, `"${name}" passes for another user's name`)
    t.equal(taken.body.code, 'NAME_TAKEN')
  }
  t.equal((await set('Eve Rules')).status, 200)
  // Two at once with confusable names: one wins, the other gets what an exact copy gets.
  const racing = await Promise.all([register('race_rules_m'), register('race_rules_rn')])
  t.same(racing.map((r) => r.status).sort(), [201, 409])
  t.equal(racing.find((r) => r.status === 409)!.body.code, 'USERNAME_TAKEN')
  const renames = await Promise.all(
    [eve, await newUser(app, 'zed_rules')].map((as, i) =>
      call(app, 'PATCH', '/api/me', { as, body: { displayName: i ? 'Zoë Omega' : 'ZOË 0MEGA' } }),
    ),
  )
  t.same(renames.map((r) => r.status).sort(), [200, 409])
  t.equal(renames.find((r) => r.status === 409)!.body.code, 'NAME_TAKEN')
})

t.test(`one bootstrap code at a time on ${backendName}`, async (t) => {
  const shared = sharedEnv(t, {})
  delete shared.env.ADMIN_USERNAME
  delete shared.env.ADMIN_PASSWORD
  const app = await buildTestApp(t, shared)
  const first = await app.core.accounts.ensureAdmin()
  const second = await app.core.accounts.ensureAdmin()
  t.ok(first.bootstrapCode && second.bootstrapCode)
  t.not(first.bootstrapCode, second.bootstrapCode)
  const register = (username: string, inviteCode: string) =>
    call(app, 'POST', '/api/auth/register', { body: { username, password: 'password-123', inviteCode } })
  const old = await register('first_admin', first.bootstrapCode!)
  t.equal(old.body.code, 'INVALID_CODE', 'the earlier code was revoked by the new one')
  const now = await register('first_admin', second.bootstrapCode!)
  t.equal(now.status, 201)
  t.equal(now.body.user.role, 'admin')
})
