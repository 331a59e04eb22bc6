import cors from '@fastify/cors'
import fp from 'fastify-plugin'

// Only the configured origins, with credentials (the cookie). Same-origin needs no CORS.
export default fp(
  async (app) => {
    await app.register(cors, {
      origin: app.core.config.CORS_ORIGINS,
      credentials: true,
      methods: ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE'],
      maxAge: 600,
    })
  },
  { dependencies: ['core'] },
)
