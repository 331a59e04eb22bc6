// Errors Fastify and its plugins raise themselves leave in the contract's shape and codes too:
// overlong and malformed URLs, the CORS preflight, unsupported media types, broken JSON.
import type { InjectOptions } from 'fastify'
import t from 'tap'
import { backendName, buildTestApp } from '../helpers/app.ts'

t.test(`framework errors in the contract's shape on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const cases: [string, InjectOptions, number, string][] = [
    [
      'an overlong path parameter',
      { method: 'GET', url: `/api/users/${'a'.repeat(500)}` },
      414,
      'URI_TOO_LONG',
    ],
    ['a malformed URL', { method: 'GET', url: '/api/users/%E0%A4%A' }, 400, 'VALIDATION'],
    ['a preflight without its headers', { method: 'OPTIONS', url: '/api/me' }, 400, 'VALIDATION'],
    [
      'an unsupported media type',
      {
        method: 'POST',
        url: '/api/auth/login',
        headers: { 'content-type': 'application/xml' },
        payload: '<x/>',
      },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'broken JSON',
      {
        method: 'POST',
        url: '/api/auth/login',
        headers: { 'content-type': 'application/json' },
        payload: '{"a":',
      },
      400,
      'VALIDATION',
    ],
    ['an unknown method', { method: 'PROPFIND' as 'GET', url: '/api/me' }, 404, 'NOT_FOUND'],
  ]
  for (const [what, request, status, code] of cases) {
    const res = await app.inject(request)
    t.equal(res.statusCode, status, what)
    t.match(res.headers['content-type'], /application\/json/, `${what}: JSON`)
    const body = res.json()
    t.same(Object.keys(body).sort(), ['code', 'error', 'message', 'statusCode'], `${what}: the error shape`)
    t.match(body, { statusCode: status, code }, `${what}: ${code}`)
  }
})
