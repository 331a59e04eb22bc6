import { generate } from 'otplib'
import t from 'tap'
import { hashCode } from '../../src/accounts/codes.ts'
import { newId } from '../../src/ids.ts'
import { call, login, loginAdmin, mintCodes, newUser, sessionOf } from '../helpers/api.ts'
import { backendName, buildTestApp, sharedEnv } from '../helpers/app.ts'

t.test(`registration and login on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const admin = await loginAdmin(app)

  t.test('register with an invite code: 201, user, token and an httpOnly SameSite=Lax cookie', async (t) => {
    const [inviteCode] = await mintCodes(app, admin, 'invite', { count: 1 })
    const res = await call(app, 'POST', '/api/auth/register', {
      body: { username: 'Mei_Lin', password: 'correct horse', inviteCode, displayName: '美琳 🐼' },
    })
    t.equal(res.status, 201)
    t.match(res.body.user, {
      username: 'Mei_Lin',
      displayName: '美琳 🐼',
      role: 'user',
      theme: { mode: 'system' },
      vip: { active: false, expiresAt: null },
      totpEnabled: false,
      rooms: [],
    })
    t.match(res.body.user.id, /^[0-9a-f]{24}$/)
    t.type(res.body.token, 'string')
    const cookie = res.cookies.find((c) => c.name === 'token')
    t.ok(cookie, 'sets the token cookie')
    t.equal(cookie?.httpOnly, true)
    t.equal(cookie?.sameSite, 'Lax')
    t.equal(cookie?.value, res.body.token)
    t.notOk(cookie?.secure, 'not Secure over plain HTTP')
    const me = await call(app, 'GET', '/api/me', { headers: { cookie: `token=${cookie?.value}` } })
    t.equal(me.status, 200, 'the cookie alone authenticates')
    t.equal(me.body.user.username, 'Mei_Lin')
    t.notOk(JSON.stringify(me.body).match(/hash|secret|totpPending/i), 'no hash or secret in the own view')
  })

  t.test('the cookie is Secure behind HTTPS (X-Forwarded-Proto with TRUST_PROXY)', async (t) => {
    const proxied = await buildTestApp(t, sharedEnv(t, { TRUST_PROXY: '127.0.0.1' }))
    const res = await call(proxied, 'POST', '/api/auth/login', {
      body: { username: 'admin', password: 'admin-password-1' },
      headers: { 'x-forwarded-proto': 'https' },
    })
    t.equal(res.status, 200)
    t.equal(res.cookies.find((c) => c.name === 'token')?.secure, true)
  })

  t.test('register errors: VALIDATION, USERNAME_TAKEN (case-insensitive), INVALID_CODE', async (t) => {
    const [code] = await mintCodes(app, admin, 'invite', { count: 1 })
    for (const body of [
      { username: 'ab', password: 'long enough', inviteCode: code },
      { username: 'has space', password: 'long enough', inviteCode: code },
      { username: 'x'.repeat(33), password: 'long enough', inviteCode: code },
      { username: 'okname', password: 'short', inviteCode: code },
      { username: 'okname', password: 'p'.repeat(257), inviteCode: code },
      { username: 'okname', password: 'long enough' },
    ]) {
      const res = await call(app, 'POST', '/api/auth/register', { body })
      t.equal(res.status, 400, JSON.stringify(body).slice(0, 60))
      t.equal(res.body.code, 'VALIDATION')
    }
    const taken = await call(app, 'POST', '/api/auth/register', {
      body: { username: 'MEI_LIN', password: 'long enough', inviteCode: code },
    })
    t.equal(taken.status, 409)
    t.equal(taken.body.code, 'USERNAME_TAKEN')
    const unknown = await call(app, 'POST', '/api/auth/register', {
      body: { username: 'newbie', password: 'long enough', inviteCode: 'NOPE-NOPE-NOPE-NOPE' },
    })
    t.equal(unknown.status, 400)
    t.equal(unknown.body.code, 'INVALID_CODE')
    // The code was not consumed by the failed attempts above.
    const ok = await call(app, 'POST', '/api/auth/register', {
      body: { username: 'newbie', password: 'long enough', inviteCode: code!.toLowerCase() },
    })
    t.equal(ok.status, 201, 'codes are accepted in any case')
    const used = await call(app, 'POST', '/api/auth/register', {
      body: { username: 'newbie2', password: 'long enough', inviteCode: code },
    })
    t.equal(used.body.code, 'INVALID_CODE', 'a one-use code is used up')
  })

  t.test('expired and revoked invite codes are INVALID_CODE; a multi-use code serves its uses', async (t) => {
    const [multi] = await mintCodes(app, admin, 'invite', { count: 1, maxUses: 2 })
    for (const name of ['multi1', 'multi2']) {
      const r = await call(app, 'POST', '/api/auth/register', {
        body: { username: name, password: 'long enough', inviteCode: multi },
      })
      t.equal(r.status, 201)
    }
    const third = await call(app, 'POST', '/api/auth/register', {
      body: { username: 'multi3', password: 'long enough', inviteCode: multi },
    })
    t.equal(third.body.code, 'INVALID_CODE')

    const minted = await call(app, 'POST', '/api/admin/invite-codes', { as: admin, body: { count: 1 } })
    const revoke = await call(app, 'DELETE', `/api/admin/codes/${minted.body.codes[0].id}`, { as: admin })
    t.equal(revoke.status, 204)
    const revoked = await call(app, 'POST', '/api/auth/register', {
      body: { username: 'revokee', password: 'long enough', inviteCode: minted.body.codes[0].code },
    })
    t.equal(revoked.body.code, 'INVALID_CODE')

    await app.core.internals.store.codes.insertMany([
      {
        id: newId(),
        type: 'invite',
        hash: hashCode('EXPI-REDC-ODE2-3456'),
        hint: 'EXPI',
        maxUses: 1,
        uses: 0,
        vipDays: null,
        grantsAdmin: false,
        expiresAt: new Date(Date.now() - 1000),
        revokedAt: null,
        createdBy: null,
        createdAt: new Date(),
      },
    ])
    const expired = await call(app, 'POST', '/api/auth/register', {
      body: { username: 'late_comer', password: 'long enough', inviteCode: 'expi-redc-ode2-3456' },
    })
    t.equal(expired.status, 400)
    t.equal(expired.body.code, 'INVALID_CODE')
  })

  t.test('login: 200 with cookie; BAD_CREDENTIALS alike for unknown user and wrong password', async (t) => {
    const res = await call(app, 'POST', '/api/auth/login', {
      body: { username: 'mei_lin', password: 'correct horse' },
    })
    t.equal(res.status, 200, 'usernames match case-insensitively')
    t.equal(res.body.user.username, 'Mei_Lin')
    t.ok(res.cookies.find((c) => c.name === 'token'))
    const wrong = await call(app, 'POST', '/api/auth/login', {
      body: { username: 'Mei_Lin', password: 'wrong horse' },
    })
    const unknown = await call(app, 'POST', '/api/auth/login', {
      body: { username: 'nobody_here', password: 'wrong horse' },
    })
    t.equal(wrong.status, 401)
    t.same(wrong.body, unknown.body, 'the same answer')
    t.equal(wrong.body.code, 'BAD_CREDENTIALS')
    // About the same time: an unknown user still costs an argon2 verification.
    const time = async (username: string) => {
      const start = process.hrtime.bigint()
      await call(app, 'POST', '/api/auth/login', { body: { username, password: 'wrong horse' } })
      return Number(process.hrtime.bigint() - start) / 1e6
    }
    // Medians (sorted as numbers, not as text), so one slow request on a busy machine does not decide.
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[1]!
    const known = median([await time('multi1'), await time('multi1'), await time('multi1')])
    const ghost = median([await time('ghost_1'), await time('ghost_2'), await time('ghost_3')])
    t.ok(
      ghost > known / 3 && ghost < known * 3,
      `unknown ${ghost.toFixed(1)} ms vs known ${known.toFixed(1)} ms`,
    )
  })

  t.test('unauthenticated requests are 401 UNAUTHENTICATED; a garbage token too', async (t) => {
    t.equal((await call(app, 'GET', '/api/me')).body.code, 'UNAUTHENTICATED')
    const bad = await call(app, 'GET', '/api/me', { as: 'not.a.jwt' })
    t.equal(bad.status, 401)
    t.equal(bad.body.code, 'UNAUTHENTICATED')
  })

  t.test('logout revokes the session: 204, the cookie is cleared, the token stops working', async (t) => {
    const user = await newUser(app)
    const res = await call(app, 'POST', '/api/auth/logout', { as: user })
    t.equal(res.status, 204)
    const cleared = res.cookies.find((c) => c.name === 'token')
    t.equal(cleared?.value, '')
    t.equal((await call(app, 'GET', '/api/me', { as: user })).status, 401)
    t.equal((await call(app, 'POST', '/api/auth/logout', { as: user })).status, 401)
  })

  t.test('cookie-authenticated unsafe requests from a foreign Origin are 403 BAD_ORIGIN', async (t) => {
    const user = await newUser(app)
    const cookie = `token=${user.token}`
    const foreign = await call(app, 'PATCH', '/api/me', {
      body: { bio: 'x' },
      headers: { cookie, origin: 'https://evil.example' },
    })
    t.equal(foreign.status, 403)
    t.equal(foreign.body.code, 'BAD_ORIGIN')
    const same = await call(app, 'PATCH', '/api/me', {
      body: { bio: 'same origin' },
      headers: { cookie, origin: 'http://localhost:80', host: 'localhost:80' },
    })
    t.equal(same.status, 200)
    const noOrigin = await call(app, 'PATCH', '/api/me', { body: { bio: 'no origin' }, headers: { cookie } })
    t.equal(noOrigin.status, 200)
    const safe = await call(app, 'GET', '/api/me', { headers: { cookie, origin: 'https://evil.example' } })
    t.equal(safe.status, 200, 'safe methods are not refused')
    const bearer = await call(app, 'PATCH', '/api/me', {
      as: user,
      body: { bio: 'bearer' },
      headers: { origin: 'https://evil.example' },
    })
    t.equal(bearer.status, 200, 'a Bearer token is not a CSRF risk')
  })

  t.test('ws-ticket: single use, 30 s', async (t) => {
    const user = await newUser(app)
    const res = await call(app, 'POST', '/api/auth/ws-ticket', { as: user })
    t.equal(res.status, 200)
    t.type(res.body.ticket, 'string')
    const ttl = Date.parse(res.body.expiresAt) - Date.now()
    t.ok(ttl > 25_000 && ttl <= 30_000, `expires in ${ttl} ms`)
    const sid = sessionOf(user.token)
    t.same(await app.core.tickets.redeem(res.body.ticket), { userId: user.userId, sessionId: sid })
    t.equal(await app.core.tickets.redeem(res.body.ticket), null, 'used once')
    t.equal((await call(app, 'POST', '/api/auth/ws-ticket')).status, 401)
  })
})

t.test(`two-factor login on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const user = await newUser(app, 'twofactor', 'password-123')

  // Start well inside a 30-second step, so the three codes used below stay distinct.
  if (Date.now() % 30_000 > 25_000)
    await new Promise((r) => setTimeout(r, 30_000 - (Date.now() % 30_000) + 50))
  const setup = await call(app, 'POST', '/api/auth/totp/setup', {
    as: user,
    body: { password: 'password-123' },
  })
  t.equal(setup.status, 200)
  t.match(setup.body.otpauthUrl, /^otpauth:\/\/totp\//)
  const secret: string = setup.body.secret

  t.equal(
    (await call(app, 'GET', '/api/me', { as: user })).body.user.totpEnabled,
    false,
    'not active until enabled',
  )
  const pw = 'password-123'
  const wrong = await call(app, 'POST', '/api/auth/totp/enable', {
    as: user,
    body: { code: '000000', password: pw },
  })
  t.equal(wrong.status, 400)
  t.equal(wrong.body.code, 'BAD_TOTP')
  const malformed = await call(app, 'POST', '/api/auth/totp/enable', {
    as: user,
    body: { code: 'abc', password: pw },
  })
  t.equal(malformed.body.code, 'VALIDATION')

  const enable = await call(app, 'POST', '/api/auth/totp/enable', {
    as: user,
    body: { code: await generate({ secret }), password: pw },
  })
  t.equal(enable.status, 204)
  t.equal((await call(app, 'GET', '/api/me', { as: user })).body.user.totpEnabled, true)

  const without = await call(app, 'POST', '/api/auth/login', {
    body: { username: 'twofactor', password: 'password-123' },
  })
  t.equal(without.status, 401)
  t.equal(without.body.code, 'TOTP_REQUIRED')
  const badCode = await call(app, 'POST', '/api/auth/login', {
    body: { username: 'twofactor', password: 'password-123', totp: '123456' },
  })
  t.equal(badCode.status, 401)
  t.equal(badCode.body.code, 'BAD_TOTP')
  const wrongPassword = await call(app, 'POST', '/api/auth/login', {
    body: { username: 'twofactor', password: 'nope-nope', totp: '123456' },
  })
  t.equal(wrongPassword.body.code, 'BAD_CREDENTIALS', 'the password is checked first')

  // Codes of the neighbouring steps are accepted too (clock drift); each works once.
  const code = await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 })
  const ok = await call(app, 'POST', '/api/auth/login', {
    body: { username: 'twofactor', password: 'password-123', totp: code },
  })
  t.equal(ok.status, 200)
  t.equal(ok.body.user.totpEnabled, true)
  const replay = await call(app, 'POST', '/api/auth/login', {
    body: { username: 'twofactor', password: 'password-123', totp: code },
  })
  t.equal(replay.body.code, 'BAD_TOTP', 'a code works once')

  const badDisable = await call(app, 'POST', '/api/auth/totp/disable', {
    as: user,
    body: { code: '000000', password: pw },
  })
  t.equal(badDisable.body.code, 'BAD_TOTP')
  const previous = await generate({ secret, epoch: Math.floor(Date.now() / 1000) - 30 })
  const disable = await call(app, 'POST', '/api/auth/totp/disable', {
    as: user,
    body: { code: previous, password: pw },
  })
  t.equal(disable.status, 204)
  const plain = await login(app, 'twofactor', 'password-123')
  t.ok(plain.token, 'password alone works again')
})

t.test(`login and registration rate limits on ${backendName}`, async (t) => {
  const app = await buildTestApp(
    t,
    sharedEnv(t, { RATE_LOGIN_USER: '3', RATE_LOGIN_IP: '6', RATE_REGISTER_IP: '2' }),
  )
  for (let i = 0; i < 3; i++) {
    const res = await call(app, 'POST', '/api/auth/login', {
      body: { username: 'victim', password: 'guess-guess' },
    })
    t.equal(res.body.code, 'BAD_CREDENTIALS')
  }
  const limited = await call(app, 'POST', '/api/auth/login', {
    body: { username: 'VICTIM', password: 'guess-guess' },
  })
  t.equal(limited.status, 429, 'per username, case-insensitively')
  t.equal(limited.body.code, 'RATE_LIMITED')
  t.ok(Number(limited.headers['retry-after']) >= 1, 'with Retry-After')
  const other = await call(app, 'POST', '/api/auth/login', {
    body: { username: 'someone_else', password: 'guess-guess' },
  })
  t.equal(other.body.code, 'BAD_CREDENTIALS', 'another username is not limited yet')
  for (let i = 0; i < 2; i++)
    await call(app, 'POST', '/api/auth/login', { body: { username: `u${i}x`, password: 'guess-guess' } })
  const byIp = await call(app, 'POST', '/api/auth/login', {
    body: { username: 'fresh_name', password: 'guess-guess' },
  })
  t.equal(byIp.status, 429, 'per IP')

  for (let i = 0; i < 2; i++) {
    const r = await call(app, 'POST', '/api/auth/register', {
      body: { username: `reg${i}`, password: 'long enough', inviteCode: 'AAAA-BBBB' },
    })
    t.equal(r.body.code, 'INVALID_CODE')
  }
  const reg = await call(app, 'POST', '/api/auth/register', {
    body: { username: 'reg9', password: 'long enough', inviteCode: 'AAAA-BBBB' },
  })
  t.equal(reg.status, 429)
})
