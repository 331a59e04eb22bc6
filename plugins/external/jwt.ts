import jwt from '@fastify/jwt'
import fp from 'fastify-plugin'

// Tokens are HS256 JWTs; `core.config.JWT_SECRET` is generated under DATA_DIR when not set.
export default fp(
  async (app) => {
    await app.register(jwt, { secret: app.core.config.JWT_SECRET })
  },
  { dependencies: ['core'] },
)
