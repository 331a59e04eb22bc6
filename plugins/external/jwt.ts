import jwt from '@fastify/jwt'
import fp from 'fastify-plugin'

// Tokens are HS256 JWTs; `core.config.JWT_SECRET` is generated under DATA_DIR when not set.
// Verified tokens are cached (fast-jwt's LRU, never past a token's own expiry): a client sends the
// same token with every request, and the signature check was most of an authenticated request's
// CPU. Keyed by the token itself rather than fast-jwt's default SHA hash of it (hashing was the
// most of a cache hit's cost; 10,000 tokens of a few hundred bytes each are a few MB).
// Revocation does not depend on it: the session is checked on every request.
export default fp(
  async (app) => {
    await app.register(jwt, {
      secret: app.core.config.JWT_SECRET,
      verify: { cache: 10_000, cacheKeyBuilder: (token: string) => token },
    })
  },
  { dependencies: ['core'] },
)
