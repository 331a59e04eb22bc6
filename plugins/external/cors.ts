import cors, { type FastifyCorsOptions } from '@fastify/cors'
import fp from 'fastify-plugin'

/** Answer headers a cross-origin client must be able to read (fetch hides the others). */
export const EXPOSED_HEADERS = [
  'Retry-After',
  'ETag',
  'Content-Disposition',
  'Content-Range',
  'Content-Length',
  'Accept-Ranges',
  'Last-Modified',
  'X-Request-Id',
]

// Only the configured origins, with credentials (the cookie). Same-origin needs no CORS. A
// foreign Origin that is not listed is logged once, with the setting that would allow it.
// The options are static (not a per-request delegator), so @fastify/cors normalises them once
// instead of on every request.
export default fp(
  async (app) => {
    const allowed = new Set(app.core.config.CORS_ORIGINS)
    const reported = new Set<string>()
    app.addHook('onRequest', (request, _reply, done) => {
      const origin = request.headers.origin
      if (
        origin !== undefined &&
        !allowed.has(origin) &&
        reported.size < 100 &&
        !reported.has(origin) &&
        origin !== `${request.protocol}://${request.host}`
      ) {
        reported.add(origin)
        request.log.warn(
          { origin, setting: 'CORS_ORIGINS' },
          `Origin ${origin} is not in CORS_ORIGINS: browsers there cannot read the answers (logged once per origin)`,
        )
      }
      done()
    })
    const options: FastifyCorsOptions = {
      origin: [...allowed],
      credentials: true,
      methods: ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE'],
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: 600,
    }
    await app.register(cors, options)
  },
  { dependencies: ['core'] },
)
