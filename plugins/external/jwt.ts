import jwt from '@fastify/jwt'
import fp from 'fastify-plugin'

// Tokens are HS256 JWTs; `core.config.JWT_SECRET` is generated under DATA_DIR when not set.
// Verified tokens are cached (fast-jwt's LRU, never past a token's own expiry): a client sends the
// same token with every request, and the signature check was most of an authenticated request's
// CPU. The cache is keyed by fast-jwt's own hash of the token: a key builder of our own (the token
// itself was cheaper) makes the library warn at every start, and a hash costs microseconds.
// Revocation does not depend on the cache: the session is checked on every request.
export default fp(
  async (app) => {
    await app.register(jwt, {
      secret: app.core.config.JWT_SECRET,
      verify: { cache: 10_000 },
    })
  },
  { dependencies: ['core'] },
)
