// The web app (web/, built into WEB_DIR) at `/`. Hashed files under /assets/ never change, so
// browsers keep them for a year; everything else, index.html above all, is revalidated on every
// load so a new build shows at once. Any other GET that a person's browser may open (/rooms/…,
// /users/…) answers index.html and the app's router takes it from there; the fallback never
// answers under the server's own paths (/api, /ws, /docs, /openapi.json, the ops routes) nor
// for names with an extension, which stay a JSON 404.
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import fastifyStatic from '@fastify/static'
import fp from 'fastify-plugin'

const RESERVED = /^\/(api|ws|docs|openapi\.json|asyncapi\.json|healthz|readyz|metrics)(\/|$|\?)/
const IMMUTABLE = 'public, max-age=31536000, immutable'
/**
 * What the app needs and nothing more: its own scripts and styles (no inline ones), images from
 * uploads and QR codes (data:, blob: for previews), API calls and the socket on this origin.
 * Sent with the app's HTML; the browser tests run under it.
 */
export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')
const REVALIDATE = 'no-cache'

/** Whether a GET for this URL should get the app's index.html. */
export function isAppRoute(url: string): boolean {
  const path = url.split('?')[0] ?? '/'
  return !RESERVED.test(path) && !/\.[A-Za-z0-9]+$/.test(path)
}

export default fp(
  async (app) => {
    const { config } = app.core
    if (!config.WEB_APP) return
    const root = resolve(config.WEB_DIR)
    if (!existsSync(resolve(root, 'index.html'))) {
      app.log.warn({ dir: root }, 'the web app is not built (npm run build:web): serving the API only')
      return
    }
    await app.register(fastifyStatic, {
      root,
      // Routes for the files present at start; other paths fall to the routes below.
      wildcard: false,
      index: false,
      setHeaders(res, path) {
        res.header('cache-control', /[\\/]assets[\\/]/.test(path) ? IMMUTABLE : REVALIDATE)
        if (path.endsWith('.html')) res.header('content-security-policy', WEB_CSP)
      },
    })
    app.get('/', { schema: { hide: true } }, (_request, reply) => reply.sendFile('index.html'))
    app.get('/*', { schema: { hide: true } }, (request, reply) => {
      if (!isAppRoute(request.url)) return reply.callNotFound()
      return reply.sendFile('index.html')
    })
  },
  { name: 'web', dependencies: ['core'] },
)
