import type { ServerResponse } from 'node:http'
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'

// Security headers with a policy for an API: answers are data, never pages, so the CSP allows
// nothing to load and no one to frame them. A plugin that serves pages (the Swagger UI, a web
// app) sets its own CSP on its routes. Cross-origin reads of files (images in an SPA on another
// origin) are allowed only when CORS_ORIGINS names such origins.
//
// Helmet's headers that only mean something to a page a browser renders (the opener policy,
// the agent cluster, DNS prefetching of its links, the old XSS filter) or to a download opened
// from disk or by a plugin (IE's open-in-site, Flash and Acrobat policy files) go on those
// answers alone: the web app's HTML, the API docs' pages and file downloads
// (`app.documentHeaders`). On a JSON answer they do nothing: it is never rendered (nosniff, a
// CSP that loads nothing), and they were 6 of its 20 headers.
//
// Helmet writes them, once at start: the headers depend on the options alone, and
// @fastify/helmet built Helmet's middleware (parsing the CSP directives) and set each header
// again on every request, which was an eighth of an authenticated request's CPU. They are set
// with reply.header as the request comes in, so a route's own value replaces them; and all of
// an answer's headers then reach Node's writeHead together (no header set on the raw response
// first), which keeps Node on its faster path of writing them.
declare module 'fastify' {
  interface FastifyInstance {
    /** Security headers for pages and downloads only, in addition to every answer's (`reply.headers(…)`). */
    documentHeaders: Readonly<Record<string, string>>
  }
}

/** Helmet's headers that go on pages and downloads only. */
export const DOCUMENT_ONLY_HEADERS: readonly string[] = [
  'cross-origin-opener-policy',
  'origin-agent-cluster',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
]

export default fp(
  async (app) => {
    const headers = helmetHeaders({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'none'"],
        },
      },
      crossOriginResourcePolicy: {
        policy: app.core.config.CORS_ORIGINS.length > 0 ? 'cross-origin' : 'same-origin',
      },
    })
    const pageOnly = (name: string) => DOCUMENT_ONLY_HEADERS.includes(name)
    const everywhere = headers.filter(([name]) => !pageOnly(name))
    app.decorate('documentHeaders', Object.fromEntries(headers.filter(([name]) => pageOnly(name))))
    app.addHook('onRequest', (_request, reply, done) => {
      for (const [name, value] of everywhere) reply.header(name, value)
      done()
    })
  },
  { name: 'helmet', dependencies: ['core'] },
)

/**
 * The headers Helmet sets with these options, read by running its middleware once. Names in
 * lower case, as `reply.header` keeps them: it lowercases each name it is given, which for
 * Helmet's capitalised names made a new string and a string-table lookup per header per request.
 */
export function helmetHeaders(options: HelmetOptions): [string, string][] {
  const headers = new Map<string, string>()
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : String(value))
    },
    removeHeader: (name: string) => headers.delete(name.toLowerCase()),
  }
  helmet(options)({} as never, recorder as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err
  })
  return [...headers]
}
