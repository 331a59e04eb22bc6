// API answers are about someone and may carry a token, a TOTP secret or freshly minted codes:
// no cache (browser, proxy or CDN) keeps them. A route that wants caching (file downloads with
// their ETag) sets its own Cache-Control.
import fp from 'fastify-plugin'

export default fp(
  async (app) => {
    app.addHook('onSend', async (request, reply) => {
      if (request.url.startsWith('/api/') && !reply.hasHeader('cache-control'))
        reply.header('cache-control', 'no-store')
    })
  },
  { name: 'cache-control' },
)
