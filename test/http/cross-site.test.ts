// Cross-site deployments: the cookie's SameSite (none only with Secure, refused at start
// otherwise), headers a cross-origin fetch may read, bodiless POSTs sent with a JSON content
// type, validation messages that say a thing once, and refused Origins logged with the setting
// that would allow them.
import t from 'tap'
import { EXPOSED_HEADERS } from '../../plugins/external/cors.ts'
import { buildApp } from '../../src/app.ts'
import { ConfigError, loadConfig } from '../../src/config.ts'
import { call, loginAdmin, newUser } from '../helpers/api.ts'
import { backendName, buildTestApp, sharedEnv } from '../helpers/app.ts'
import { captureLogs } from '../helpers/logs.ts'

const SPA = 'http://localhost:5173'

const setCookie = (res: { headers: Record<string, unknown> }) => String(res.headers['set-cookie'] ?? '')

t.test(`cross-site on ${backendName}`, async (t) => {
  t.test('COOKIE_SAMESITE=none without COOKIE_SECURE=true stops start-up', async (t) => {
    t.throws(
      () => loadConfig({ COOKIE_SAMESITE: 'none' }),
      /COOKIE_SAMESITE: "none" needs COOKIE_SECURE=true/,
    )
    t.ok(catchError(() => loadConfig({ COOKIE_SAMESITE: 'none' })) instanceof ConfigError, 'a ConfigError')
    t.throws(() => loadConfig({ COOKIE_SAMESITE: 'none', COOKIE_SECURE: 'false' }), /COOKIE_SECURE=true/)
    t.throws(() => loadConfig({ COOKIE_SAMESITE: 'sometimes' }), /COOKIE_SAMESITE/)
    t.match(loadConfig({ COOKIE_SAMESITE: 'none', COOKIE_SECURE: 'true' }), { COOKIE_SAMESITE: 'none' })
  })

  t.test('the default cookie: SameSite=Lax, Secure only over HTTPS', async (t) => {
    const app = await buildTestApp(t)
    const user = await newUser(app)
    const res = await call(app, 'POST', '/api/auth/login', {
      body: { username: user.username, password: 'password-123' },
    })
    t.match(setCookie(res), /SameSite=Lax/)
    t.notMatch(setCookie(res), /Secure/)
  })

  t.test('SameSite=None; Secure when configured, on login and on logout', async (t) => {
    const app = await buildTestApp(t, sharedEnv(t), {
      COOKIE_SAMESITE: 'none',
      COOKIE_SECURE: 'true',
      CORS_ORIGINS: SPA,
      PUBLIC_ORIGINS: SPA,
    })
    const user = await newUser(app)
    const res = await call(app, 'POST', '/api/auth/login', {
      body: { username: user.username, password: 'password-123' },
    })
    t.match(setCookie(res), /SameSite=None/)
    t.match(setCookie(res), /Secure/)
    const out = await call(app, 'POST', '/api/auth/logout', { as: user })
    t.equal(out.status, 204)
    t.match(setCookie(out), /token=;.*SameSite=None/, 'cleared with the same attributes')
    t.match(setCookie(out), /Secure/)
  })

  t.test('headers a cross-origin fetch must read are exposed', async (t) => {
    const app = await buildTestApp(t, sharedEnv(t), { CORS_ORIGINS: SPA })
    const res = await call(app, 'GET', '/healthz', { headers: { origin: SPA } })
    t.equal(res.headers['access-control-allow-origin'], SPA)
    t.equal(res.headers['access-control-allow-credentials'], 'true')
    const exposed = String(res.headers['access-control-expose-headers']).toLowerCase().split(/,\s*/)
    for (const h of ['retry-after', 'etag', 'content-disposition', 'content-range', 'x-request-id'])
      t.ok(exposed.includes(h), `exposes ${h}`)
    const other = await call(app, 'GET', '/healthz', { headers: { origin: 'https://elsewhere.example' } })
    t.equal(other.headers['access-control-allow-origin'], undefined, 'an unlisted origin gets no CORS')
  })

  t.test('CORS: simple answers from every route, preflights, and who gets Allow-Origin', async (t) => {
    const app = await buildTestApp(t, sharedEnv(t), { CORS_ORIGINS: SPA })
    const admin = await loginAdmin(app)
    const cors = (res: { headers: Record<string, unknown> }) => ({
      vary: res.headers.vary,
      origin: res.headers['access-control-allow-origin'],
      credentials: res.headers['access-control-allow-credentials'],
      exposed: res.headers['access-control-expose-headers'],
    })
    const exposed = EXPOSED_HEADERS.join(', ')
    for (const [method, url, status] of [
      ['GET', '/api/me', 200],
      ['GET', '/api/nowhere', 404],
      ['POST', '/api/rooms', 400],
      ['GET', '/healthz', 200],
    ] as const) {
      const listed = await call(app, method, url, { as: admin, headers: { origin: SPA }, body: {} })
      t.equal(listed.status, status, `${method} ${url}`)
      t.same(
        cors(listed),
        { vary: 'Origin', origin: SPA, credentials: 'true', exposed },
        `${url}: a listed origin`,
      )
      const other = await call(app, method, url, {
        as: admin,
        headers: { origin: 'https://elsewhere.example' },
      })
      t.same(
        cors(other),
        { vary: 'Origin', origin: undefined, credentials: undefined, exposed: undefined },
        `${url}: unlisted`,
      )
      const none = await call(app, method, url, { as: admin })
      t.same(
        cors(none),
        { vary: 'Origin', origin: undefined, credentials: undefined, exposed: undefined },
        `${url}: no Origin`,
      )
      t.equal(none.headers['x-content-type-options'], 'nosniff', `${url}: the security headers too`)
    }
    const preflight = await call(app, 'OPTIONS', '/api/me', {
      headers: {
        origin: SPA,
        'access-control-request-method': 'PATCH',
        'access-control-request-headers': 'content-type',
      },
    })
    t.equal(preflight.status, 204)
    t.equal(preflight.headers['access-control-allow-origin'], SPA)
    t.equal(preflight.headers['access-control-allow-credentials'], 'true')
    t.equal(preflight.headers['access-control-allow-methods'], 'GET, HEAD, POST, PATCH, PUT, DELETE')
    t.equal(preflight.headers['access-control-allow-headers'], 'content-type')
    t.equal(preflight.headers['access-control-max-age'], '600')
    t.equal(preflight.headers.vary, 'Origin, Access-Control-Request-Headers')
    t.equal(
      preflight.headers['x-content-type-options'],
      'nosniff',
      'a preflight gets the security headers too',
    )
    const refused = await call(app, 'OPTIONS', '/api/me', {
      headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'PATCH' },
    })
    t.equal(
      refused.headers['access-control-allow-origin'],
      undefined,
      'no preflight pass for an unlisted origin',
    )
  })

  t.test('bodiless POSTs with content-type: application/json', async (t) => {
    const app = await buildTestApp(t)
    const root = await loginAdmin(app)
    const user = await newUser(app)
    const room = await call(app, 'POST', '/api/rooms', { as: root, body: { name: 'Bodiless' } })
    const json = { 'content-type': 'application/json' }
    const send = (url: string) =>
      app.inject({ method: 'POST', url, headers: { ...json, authorization: `Bearer ${user.token}` } })
    t.equal((await send(`/api/rooms/${room.body.room.id}/join`)).statusCode, 200, 'join')
    t.equal((await send(`/api/rooms/${room.body.room.id}/leave`)).statusCode, 204, 'leave')
    t.equal((await send('/api/auth/ws-ticket')).statusCode, 200, 'ws-ticket')
    t.equal((await send('/api/auth/logout')).statusCode, 204, 'logout')
    const needsBody = await app.inject({ method: 'POST', url: '/api/auth/login', headers: json, payload: '' })
    t.equal(needsBody.statusCode, 400)
    t.equal(needsBody.json().code, 'VALIDATION', 'a route that needs a body still says so')
    const poisoned = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: json,
      payload: '{"__proto__":{"x":1},"username":"a","password":"b"}',
    })
    t.equal(poisoned.statusCode, 400, 'prototype poisoning is still refused')
  })

  t.test('a value outside a list is said once', async (t) => {
    const app = await buildTestApp(t)
    const user = await newUser(app)
    const res = await call(app, 'PATCH', '/api/me', { as: user, body: { theme: { mode: 'purple' } } })
    t.equal(res.status, 400)
    t.equal(res.body.code, 'VALIDATION')
    t.equal(res.body.message, 'body/theme/mode must be one of: light, dark, system')
    const codes = await call(app, 'GET', '/api/admin/codes?type=gift', { as: await loginAdmin(app) })
    t.equal(codes.body.message, 'querystring/type must be one of: invite, activation')
  })

  t.test('a refused Origin is logged with the origin and the setting that would allow it', async (t) => {
    const log = captureLogs()
    const shared = sharedEnv(t)
    const app = await buildApp(loadConfig(shared.env), { logger: { level: 'warn', stream: log.stream } })
    t.teardown(() => app.close())
    await app.core.accounts.ensureAdmin(shared.env.ADMIN_USERNAME, shared.env.ADMIN_PASSWORD)
    await app.ready()
    const root = await loginAdmin(app)
    const evil = 'https://evil.example'
    const res = await app.inject({
      method: 'POST',
      url: '/api/rooms',
      headers: { origin: evil, cookie: `token=${root.token}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x' }),
    })
    t.equal(res.statusCode, 403)
    t.equal(res.json().code, 'BAD_ORIGIN')
    t.ok(
      log.entries().some((l) => l.origin === evil && l.setting === 'PUBLIC_ORIGINS'),
      'BAD_ORIGIN names PUBLIC_ORIGINS',
    )
    t.ok(
      log.entries().some((l) => l.origin === evil && l.setting === 'CORS_ORIGINS'),
      'an unlisted CORS origin names CORS_ORIGINS',
    )
  })
})

function catchError(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  return null
}
