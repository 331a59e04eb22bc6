// API answers are about someone and may carry a token, a TOTP secret or freshly minted codes:
// no cache (browser, proxy or CDN) keeps them. A route that wants caching (file downloads with
// their ETag) sets its own Cache-Control, which replaces this one.
//
// Set as the request comes in, like the security headers, rather than checked in an onSend hook:
// an async onSend hook cost every answer a promise and a turn of the microtask queue.
import fp from 'fastify-plugin'

export default fp(
  async (app) => {
    app.addHook('onRequest', (request, reply, done) => {
      if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store')
      done()
    })
  },
  { name: 'cache-control' },
)
