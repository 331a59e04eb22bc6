// The web app's files at `/`: cache headers (hashed assets immutable, the rest revalidated), the
// fallback to index.html for the app's own paths, and never for the server's paths; WEB_APP=false
// serves the API only.
import { readdirSync, readFileSync } from 'node:fs'
import t from 'tap'
import { APP_SECTIONS, WEB_CSP } from '../../plugins/web.ts'
import { buildTestApp, sharedEnv } from '../helpers/app.ts'
import { ensureWebBuilt } from '../helpers/browser.ts'

ensureWebBuilt()
const asset = readdirSync('web/dist/assets').find((f) => f.endsWith('.js'))!

t.test('serves the built app with the right cache headers', async (t) => {
  const app = await buildTestApp(t)
  for (const url of ['/', '/rooms/0123456789abcdef01234567', '/users', '/me?tab=theme', '/index.html']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 200, `${url}: 200`)
    t.match(res.headers['content-type'], /^text\/html/, `${url}: the app's index.html`)
    t.match(res.body, /<div id="app">/, `${url}: the app's page`)
    t.equal(res.headers['cache-control'], 'no-cache', `${url}: revalidated on every load`)
    t.equal(res.headers['content-security-policy'], WEB_CSP, `${url}: the app's CSP`)
    t.equal(res.headers['cross-origin-opener-policy'], 'same-origin', `${url}: the headers of a page`)
    t.equal(res.headers['origin-agent-cluster'], '?1')
    t.equal(res.headers['x-dns-prefetch-control'], 'off')
    t.equal(res.headers['x-content-type-options'], 'nosniff', `${url}: and those of every answer`)
  }
  const js = await app.inject({ method: 'GET', url: `/assets/${asset}` })
  t.equal(js.statusCode, 200)
  t.match(js.headers['content-type'], /javascript/)
  t.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable', 'hashed assets: immutable')
  const head = await app.inject({ method: 'HEAD', url: '/rooms' })
  t.equal(head.statusCode, 200, 'HEAD works too')
})

t.test('never shadows the server’s own paths', async (t) => {
  // A metrics token puts /metrics on the API port, beside the app.
  const app = await buildTestApp(t, sharedEnv(t, { METRICS_TOKEN: 'metrics-token-of-the-test' }))
  for (const url of [
    '/api',
    '/api/nope',
    '/api/rooms/x/nope',
    '/ws/x',
    '/assets/missing.js',
    '/favicon.ico',
    '/metrics/x',
  ]) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 404, `${url}: 404`)
    t.equal(res.json().code, 'NOT_FOUND', `${url}: the JSON error shape`)
  }
  t.equal((await app.inject({ method: 'GET', url: '/api/me' })).statusCode, 401, '/api/me: the API answers')
  t.equal(
    (await app.inject({ method: 'GET', url: '/healthz' })).json().status,
    'ok',
    '/healthz: the API answers',
  )
  t.match((await app.inject({ method: 'GET', url: '/openapi.json' })).json().openapi, /^3\./, '/openapi.json')
  t.match((await app.inject({ method: 'GET', url: '/docs' })).body, /swagger/i, '/docs: Swagger UI')
  const metrics = await app.inject({
    method: 'GET',
    url: '/metrics',
    headers: { authorization: 'Bearer metrics-token-of-the-test' },
  })
  t.match(metrics.body, /http_requests_total/, '/metrics')
  const post = await app.inject({ method: 'POST', url: '/rooms' })
  t.equal(post.statusCode, 404, 'only GET and HEAD get the app')
})

t.test('the server knows every section of the app’s router', async (t) => {
  const router = readFileSync('web/src/router.ts', 'utf8')
  const sections = new Set([...router.matchAll(/path: '\/([a-z-]+)/g)].map((m) => m[1]))
  t.ok(sections.size >= 5, `the router's sections: ${[...sections].join(', ')}`)
  t.same(
    [...sections].sort(),
    [...APP_SECTIONS].sort(),
    'APP_SECTIONS in plugins/web.ts matches web/src/router.ts',
  )
})

t.test('WEB_APP=false serves the API only', async (t) => {
  const app = await buildTestApp(t, sharedEnv(t, { WEB_APP: 'false' }))
  for (const url of ['/', '/rooms', `/assets/${asset}`]) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 404, `${url}: 404`)
    t.equal(res.json().code, 'NOT_FOUND')
  }
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
})

t.test('a missing build leaves the API running', async (t) => {
  const app = await buildTestApp(t, sharedEnv(t, { WEB_DIR: 'does/not/exist' }))
  t.equal((await app.inject({ method: 'GET', url: '/' })).statusCode, 404)
  t.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200)
})
