// The web app (web/, built into WEB_DIR) at `/`. Hashed files under /assets/ never change, so
// browsers keep them for a year; everything else, index.html above all, is revalidated on every
// load so a new build shows at once, and so is the service worker /sw.js (web/public/sw.js),
// whose updates a browser would otherwise miss for as long as it kept the old one. A GET for one
// of the app's pages that a person's browser may open directly (/rooms/…, /users/…, /moderation, the links in
// mails: /reset-password, /verify-email) answers index.html and the app's router takes it from
// there; the server's own paths (/api, /ws, /docs, /openapi.json, the ops routes) are never
// shadowed, and any other unknown path stays a JSON 404.
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

/**
 * The app's own sections (web/src/router.ts; a test keeps the two in step). Only these paths get
 * index.html, so every other unknown path, under /api, /ws, /docs and the ops routes above all,
 * stays the server's JSON 404.
 */
export const APP_SECTIONS = [
  'login',
  'forgot-password',
  'reset-password',
  'verify-email',
  'me',
  'search',
  'users',
  'rooms',
  'admin',
  'moderation',
]
const APP_PATH = new RegExp(`^/(${APP_SECTIONS.join('|')})(/[^.]*)?$`)
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
  return APP_PATH.test(url.split('?')[0] ?? '/')
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
        if (!path.endsWith('.html')) return
        res.header('content-security-policy', WEB_CSP)
        res.headers(app.documentHeaders)
      },
    })
    app.get('/', { schema: { hide: true } }, (_request, reply) => reply.sendFile('index.html'))
    // One route per section, not a catch-all: a catch-all would also take the URLs the router
    // refuses before any route (an overlong path parameter answers 414, not the app's 404).
    const page = (request: FastifyRequest, reply: FastifyReply) =>
      isAppRoute(request.url) ? reply.sendFile('index.html') : reply.callNotFound()
    for (const section of APP_SECTIONS) {
      app.get(`/${section}`, { schema: { hide: true } }, page)
      app.get(`/${section}/*`, { schema: { hide: true } }, page)
    }
  },
  { name: 'web', dependencies: ['core', 'helmet'] },
)
