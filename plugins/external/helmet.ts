import helmet from '@fastify/helmet'
import fp from 'fastify-plugin'

// Security headers with a policy for an API: answers are data, never pages, so the CSP allows
// nothing to load and no one to frame them. A plugin that serves pages (the Swagger UI, a web
// app) sets its own CSP on its routes. Cross-origin reads of files (images in an SPA on another
// origin) are allowed only when CORS_ORIGINS names such origins.
export default fp(
  async (app) => {
    await app.register(helmet, {
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
  },
  { name: 'helmet', dependencies: ['core'] },
)
