// Login throttling that cannot be aimed at a victim: failures count per (username, address) and
// per username; past the per-username bound a known device or address still signs in. Client
// addresses come from X-Forwarded-For, believed from the test's own address (TRUST_PROXY).
import t from 'tap'
import { buildApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { type Answer, call, newUser } from '../helpers/api.ts'
import { backendName, sharedEnv } from '../helpers/app.ts'
import { captureLogs } from '../helpers/logs.ts'

const PAIR = 3
const PER_USER = 6

t.test(`login lockouts on ${backendName}`, async (t) => {
  const log = captureLogs()
  const config = loadConfig({
    ...sharedEnv(t).env,
    TRUST_PROXY: '127.0.0.1',
    RATE_LOGIN_USER_IP: String(PAIR),
    RATE_LOGIN_USER: String(PER_USER),
  })
  const app = await buildApp(config, { logger: { level: 'warn', stream: log.stream } })
  t.teardown(() => app.close())
  await app.core.accounts.ensureAdmin(config.ADMIN_USERNAME, config.ADMIN_PASSWORD)

  const victim = await newUser(app, 'victim', 'the-right-password')
  const login = (from: string, password: string, cookie?: string): Promise<Answer> =>
    call(app, 'POST', '/api/auth/login', {
      body: { username: 'Victim', password },
      headers: { 'x-forwarded-for': from, ...(cookie ? { cookie } : {}) },
    })

  // The owner signs in at home (a known address) and on a laptop that keeps its device cookie.
  t.equal((await login('192.0.2.10', 'the-right-password')).status, 200, 'the owner signs in at home')
  const laptop = await login('192.0.2.20', 'the-right-password')
  const device = laptop.cookies.find((c) => c.name === 'device')
  t.ok(device?.httpOnly, 'a sign-in leaves an httpOnly device cookie')
  t.equal(device?.sameSite, 'Strict')

  // One attacker address: its own pair locks after PAIR failures, for the right password too.
  const pair: number[] = []
  for (let k = 0; k <= PAIR; k++) pair.push((await login('203.0.113.1', 'guess')).status)
  t.same(pair, [...Array(PAIR).fill(401), 429], `${PAIR} wrong passwords from one address, then 429`)
  const stillLocked = await login('203.0.113.1', 'the-right-password')
  t.equal(stillLocked.status, 429, 'that address waits even with the right password')
  t.ok(Number(stillLocked.headers['retry-after']) >= 1, 'with Retry-After')
  t.equal((await login('192.0.2.10', 'the-right-password')).status, 200, 'the owner is not locked out')

  // Many addresses: the per-username bound. After it, unknown addresses wait, whatever they send.
  for (let k = 0; k < PER_USER; k++) await login(`198.51.100.${k + 1}`, 'guess')
  const unknown = await login('198.51.100.200', 'the-right-password')
  t.equal(unknown.status, 429, 'past the per-username bound an unknown address waits')
  t.equal(unknown.body.code, 'RATE_LIMITED')
  t.equal((await login('198.51.100.201', 'guess')).status, 429, 'and gets no answer about the password')

  // ...but the owner does not: a known address, or a known device from a new address.
  t.equal((await login('192.0.2.10', 'the-right-password')).status, 200, 'a known address signs in')
  t.equal(
    (await login('198.51.100.250', 'the-right-password', `device=${device?.value}`)).status,
    200,
    'a known device signs in from a new address',
  )
  t.equal(
    (await login('198.51.100.251', 'the-right-password', 'device=forged.value.here')).status,
    429,
    'a forged device cookie is no device',
  )
  const other = await newUser(app, 'bystander', 'password-123')
  const otherDevice = (
    await call(app, 'POST', '/api/auth/login', {
      body: { username: other.username, password: 'password-123' },
      headers: { 'x-forwarded-for': '198.51.100.252' },
    })
  ).cookies.find((c) => c.name === 'device')
  t.equal(
    (await login('198.51.100.252', 'the-right-password', `device=${otherDevice?.value}`)).status,
    429,
    "another user's device cookie does not count for the victim",
  )
  t.equal((await login('192.0.2.10', 'guess')).status, 401, 'a known address with a wrong password: 401')

  const lockouts = log.entries().filter((l) => /login lockout/.test(l.msg))
  t.ok(
    lockouts.some((l) => l.username === 'victim' && l.ip === '203.0.113.1' && l.until),
    'the pair lockout is logged with its end',
  )
  t.ok(
    lockouts.some((l) => /unknown devices/.test(l.msg) && l.until),
    'the per-username lockout is logged with its end',
  )
  t.equal(victim.username, 'victim')
})

t.test(`registration checks the cheap things before argon2 on ${backendName}`, async (t) => {
  const config = loadConfig(sharedEnv(t).env)
  const app = await buildApp(config, { logger: false })
  t.teardown(() => app.close())
  await app.core.accounts.ensureAdmin(config.ADMIN_USERNAME, config.ADMIN_PASSWORD)
  const hasher = (app.core.accounts as unknown as { passwords: { hash: (p: string) => Promise<string> } })
    .passwords
  let hashes = 0
  const hash = hasher.hash
  hasher.hash = (p) => {
    hashes++
    return hash(p)
  }
  const bad = await call(app, 'POST', '/api/auth/register', {
    body: { username: 'cheap_check', password: 'long enough', inviteCode: 'AAAA-BBBB-CCCC-DDDD' },
  })
  t.equal(bad.body.code, 'INVALID_CODE')
  t.equal(hashes, 0, 'an unknown invite code costs no argon2 hash')
  const [minted] = await app.core.codes.mint('invite', { count: 1, createdBy: null })
  const good = await call(app, 'POST', '/api/auth/register', {
    body: { username: 'cheap_check', password: 'long enough', inviteCode: minted!.code },
  })
  t.equal(good.status, 201)
  t.equal(hashes, 1, 'a valid one costs one')
})
