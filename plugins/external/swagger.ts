import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import { finishOpenApi } from '../../src/http/api-docs/openapi.ts'

// The OpenAPI document is generated from the TypeBox schemas the routes validate with; the
// Swagger UI at /docs is a setting (DOCS, off in production by default).
export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'Roomchat API',
          version: '0.1.0',
          description:
            'Rooms with live chat, walls, VIP memberships. Errors have one shape (`Error`); branch on its `code`, listed per answer. The WebSocket protocol of /ws is described by /asyncapi.json.',
        },
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
            cookie: { type: 'apiKey', in: 'cookie', name: 'token' },
            metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, when set' },
          },
        },
        security: [{ bearer: [] }, { cookie: [] }],
      },
      transformObject: (document) => finishOpenApi('openapiObject' in document ? document.openapiObject : {}),
      refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    })
    // The UI is a page: it brings its own CSP (helmet's API policy would block its scripts).
    if (app.core.config.DOCS)
      await app.register(swaggerUi, {
        routePrefix: '/docs',
        staticCSP: true,
        uiHooks: {
          onRequest: (_request, reply, done) => {
            reply.headers(app.documentHeaders)
            done()
          },
        },
      })
  },
  { dependencies: ['core', 'helmet'] },
)
