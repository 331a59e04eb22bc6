// What the public surface shows: /metrics only with its token, /docs only when enabled,
// security headers with an API policy on every answer (those of a page on pages only), and no
// caching of answers with tokens.
import t from 'tap'
import { DOCUMENT_ONLY_HEADERS } from '../../plugins/external/helmet.ts'
import { call, loginAdmin } from '../helpers/api.ts'
import { ADMIN, backendName, buildTestApp, sharedEnv } from '../helpers/app.ts'

t.test(`the public surface on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)

  t.test('/metrics is not served on the API port without METRICS_TOKEN', async (t) => {
    const res = await call(app, 'GET', '/metrics')
    t.equal(res.status, 404)
    t.equal(res.body.code, 'NOT_FOUND')
  })

  t.test('security headers with an API policy', async (t) => {
    for (const url of ['/healthz', '/api/me', '/api/nowhere']) {
      const res = await app.inject({ method: 'GET', url })
      t.equal(
        res.headers['content-security-policy'],
        "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'",
        `${url}: nothing loads, nothing frames`,
      )
      t.equal(res.headers['x-content-type-options'], 'nosniff')
      t.equal(res.headers['x-frame-options'], 'SAMEORIGIN')
      t.equal(res.headers['cross-origin-resource-policy'], 'same-origin')
      t.match(res.headers['strict-transport-security'], /max-age=\d+/)
      t.equal(res.headers['referrer-policy'], 'no-referrer')
      t.notOk(res.headers['x-powered-by'])
      for (const pageOnly of DOCUMENT_ONLY_HEADERS)
        t.equal(res.headers[pageOnly], undefined, `${url}: no ${pageOnly} (a JSON answer is never a page)`)
    }
  })

  t.test('answers that carry tokens or secrets are not cached', async (t) => {
    const login = await call(app, 'POST', '/api/auth/login', { body: ADMIN })
    t.equal(login.headers['cache-control'], 'no-store', 'login')
    const admin = await loginAdmin(app)
    for (const [method, url, body] of [
      ['POST', '/api/auth/ws-ticket', undefined],
      ['POST', '/api/auth/totp/setup', { password: ADMIN.password }],
      ['GET', '/api/me', undefined],
    ] as const) {
      const res = await call(app, method, url, { as: admin, body })
      t.equal(res.status, 200, url)
      t.equal(res.headers['cache-control'], 'no-store', url)
    }
    const minted = await call(app, 'POST', '/api/admin/invite-codes', { as: admin, body: { count: 1 } })
    t.equal(minted.headers['cache-control'], 'no-store', 'minted codes')
  })

  t.test('/docs is on outside production', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/docs/' })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-security-policy'], /script-src 'self'/, 'the UI brings its own CSP')
    for (const pageOnly of DOCUMENT_ONLY_HEADERS) t.ok(res.headers[pageOnly], `a page: ${pageOnly}`)
  })
})

t.test(
  `production: no /docs unless DOCS=true; cross-origin files when CORS_ORIGINS is set, on ${backendName}`,
  async (t) => {
    const prod = await buildTestApp(
      t,
      sharedEnv(t, { NODE_ENV: 'production', CORS_ORIGINS: 'https://spa.example' }),
    )
    t.equal((await prod.inject({ method: 'GET', url: '/docs/' })).statusCode, 404, '/docs off')
    t.equal(
      (await prod.inject({ method: 'GET', url: '/openapi.json' })).statusCode,
      200,
      'the document stays',
    )
    const res = await prod.inject({ method: 'GET', url: '/healthz' })
    t.equal(res.headers['cross-origin-resource-policy'], 'cross-origin')
    const on = await buildTestApp(t, sharedEnv(t, { NODE_ENV: 'production', DOCS: 'true' }))
    t.equal((await on.inject({ method: 'GET', url: '/docs/' })).statusCode, 200, 'DOCS=true turns it on')
  },
)
