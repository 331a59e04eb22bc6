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
//
// Preflights (OPTIONS) are @fastify/cors's: it is registered in a scope of its own, which holds
// nothing but its OPTIONS route, so its hook runs for them alone. Every other answer gets
// Vary: Origin, and when the Origin is listed the headers @fastify/cors gives a simple request
// with these options (Allow-Origin, credentials, the exposed headers; @fastify/cors also sent
// the last two without Allow-Origin, where no browser reads them), written here from values
// computed once: its hook copied the route's options twice and merged its options into a
// new object on every request, which was a twentieth of an authenticated request's CPU.
export default fp(
  async (app) => {
    const allowed = new Set(app.core.config.CORS_ORIGINS)
    const exposed = EXPOSED_HEADERS.join(', ')
    const reported = new Set<string>()
    app.addHook('onRequest', (request, reply, done) => {
      const origin = request.headers.origin
      const listed = origin !== undefined && allowed.has(origin)
      if (
        origin !== undefined &&
        !listed &&
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
      if (request.method !== 'OPTIONS') {
        reply.header('vary', 'Origin')
        // The other two mean something only beside Allow-Origin: a browser reads them for a
        // listed origin alone, and a same-origin page or a native client never does.
        if (listed) {
          reply.header('access-control-allow-origin', origin)
          reply.header('access-control-allow-credentials', 'true')
          reply.header('access-control-expose-headers', exposed)
        }
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
    // Not wrapped in fastify-plugin: the hook stays in this scope, with the OPTIONS route.
    await app.register(async (preflights) => {
      await preflights.register(cors, options)
    })
  },
  { dependencies: ['core'] },
)
