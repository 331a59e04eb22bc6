import jwt from '@fastify/jwt'
import fp from 'fastify-plugin'

// Tokens are HS256 JWTs; `core.config.JWT_SECRET` is generated under DATA_DIR when not set.
// Verified tokens are cached (fast-jwt's LRU, never past a token's own expiry): a client sends the
// same token with every request, and the signature check was most of an authenticated request's
// CPU. Revocation does not depend on it: the session is checked on every request.
export default fp(
  async (app) => {
    await app.register(jwt, { secret: app.core.config.JWT_SECRET, verify: { cache: 10_000 } })
  },
  { dependencies: ['core'] },
)
