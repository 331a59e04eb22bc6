import SwaggerParser from '@apidevtools/swagger-parser'
import t from 'tap'
import { call, loginAdmin } from '../helpers/api.ts'
import { backendName, buildTestApp } from '../helpers/app.ts'
import { connect, listen } from '../helpers/ws.ts'

t.test(`operations on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)

  t.test('/healthz and /readyz answer', async (t) => {
    t.same((await call(app, 'GET', '/healthz')).body, { status: 'ok' })
    const ready = await call(app, 'GET', '/readyz')
    t.equal(ready.status, 200)
    t.same(ready.body, { status: 'ready' })
  })

  t.test('an unknown route is 404 NOT_FOUND in the contract shape, with a request id', async (t) => {
    const res = await call(app, 'GET', '/api/nothing-here')
    t.equal(res.status, 404)
    t.same(res.body, {
      statusCode: 404,
      code: 'NOT_FOUND',
      error: 'Not Found',
      message: 'Route GET /api/nothing-here not found',
    })
  })

  t.test('malformed JSON is 400 VALIDATION', async (t) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"username":',
    })
    t.equal(res.statusCode, 400)
    t.equal(res.json().code, 'VALIDATION')
  })

  t.test('an oversized body is 413 TOO_LARGE', async (t) => {
    const res = await call(app, 'POST', '/api/auth/login', {
      body: { username: 'x', password: 'y'.repeat(70_000) },
    })
    t.equal(res.status, 413)
    t.equal(res.body.code, 'TOO_LARGE')
  })

  t.test('/openapi.json is valid OpenAPI 3 and lists the routes', async (t) => {
    const res = await call(app, 'GET', '/openapi.json')
    t.equal(res.status, 200)
    t.match(res.body.openapi, /^3\./)
    await t.resolves(SwaggerParser.validate(structuredClone(res.body)))
    for (const path of [
      '/api/auth/register',
      '/api/auth/login',
      '/api/me',
      '/api/admin/codes',
      '/api/admin/users/{id}',
      '/readyz',
    ]) {
      t.ok(res.body.paths[path], `documents ${path}`)
    }
    const docs = await app.inject({ method: 'GET', url: '/docs/' })
    t.equal(docs.statusCode, 200)
    t.match(docs.body, /swagger/i)
  })

  t.test('a 5xx hides its internals; /readyz turns 503 when the store is gone', async (t) => {
    const admin = await loginAdmin(app)
    await app.core.internals.store.close()
    const res = await call(app, 'GET', '/api/me', { as: admin })
    t.equal(res.status, 500)
    t.same(res.body, {
      statusCode: 500,
      code: 'INTERNAL',
      error: 'Internal Server Error',
      message: 'Internal Server Error',
    })
    const ready = await call(app, 'GET', '/readyz')
    t.equal(ready.status, 503)
    t.equal(ready.body.code, 'UNAVAILABLE')
  })
})

t.test(`the drain starts as the app closes, before its sockets close, on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const url = await listen(app)
  const admin = await loginAdmin(app)
  const s = await connect(url, { token: admin.token })
  let drainingAtClose: boolean | null = null
  s.ws.once('close', () => {
    drainingAtClose = app.lifecycle.draining
  })
  t.equal(app.lifecycle.draining, false)
  await app.close()
  t.equal((await s.waitClosed()).code, 1012, 'the socket was asked to reconnect elsewhere')
  t.equal(drainingAtClose, true, 'already draining when its socket closed')
})

t.test(`while draining, /readyz and upgrades answer 503 on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const url = await listen(app)
  const admin = await loginAdmin(app)
  app.lifecycle.drain()
  const ready = await call(app, 'GET', '/readyz')
  t.equal(ready.status, 503)
  t.equal(ready.body.code, 'UNAVAILABLE')
  const refused = await connect(url, { token: admin.token }).then(
    () => 0,
    (err: { status?: number }) => err.status,
  )
  t.equal(refused, 503)
})
