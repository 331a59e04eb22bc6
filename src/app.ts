// Builds the Fastify app from its plugins. Tests build it exactly this way; server.ts listens.
import { randomUUID } from 'node:crypto'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyServerOptions } from 'fastify'
import apiDocs from '../plugins/api-docs.ts'
import authPlugin from '../plugins/auth.ts'
import corePlugin from '../plugins/core.ts'
import errorsPlugin from '../plugins/errors.ts'
import cookie from '../plugins/external/cookie.ts'
import cors from '../plugins/external/cors.ts'
import jwt from '../plugins/external/jwt.ts'
import swagger from '../plugins/external/swagger.ts'
import gateway from '../plugins/gateway.ts'
import jsonBody from '../plugins/json-body.ts'
import metrics from '../plugins/metrics.ts'
import adminRoutes from '../plugins/routes/admin.ts'
import authRoutes from '../plugins/routes/auth.ts'
import fileRoutes from '../plugins/routes/files.ts'
import healthRoutes from '../plugins/routes/health.ts'
import meRoutes from '../plugins/routes/me.ts'
import postRoutes from '../plugins/routes/posts.ts'
import protocolRoutes from '../plugins/routes/protocol.ts'
import roomRoutes from '../plugins/routes/rooms.ts'
import userRoutes from '../plugins/routes/users.ts'
import web from '../plugins/web.ts'
import type { Config } from './config.ts'
import { ErrorBody } from './schemas/common.ts'
import { validationMessage } from './validation-message.ts'

export interface BuildOptions {
  /** Overrides the logger (tests pass false or a level). */
  logger?: FastifyServerOptions['logger']
}

export async function buildApp(config: Config, options: BuildOptions = {}) {
  const app = Fastify({
    logger: options.logger ?? {
      level: config.LOG_LEVEL,
      redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
    },
    trustProxy: config.TRUST_PROXY,
    // Opening the store creates its indexes: on a busy MongoDB-wire server that can take a while.
    pluginTimeout: 60_000,
    bodyLimit: config.BODY_LIMIT_BYTES,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // Unknown body properties are dropped, not rejected: clients may be newer than the server.
    ajv: { customOptions: { removeAdditional: true, coerceTypes: 'array', useDefaults: true } },
    schemaErrorFormatter: (errors, dataVar) => new Error(validationMessage(errors, dataVar)),
  }).withTypeProvider<TypeBoxTypeProvider>()

  // Set when the instance drains (server.ts, or app.close()): /readyz answers 503, upgrades too.
  app.decorate('draining', false)
  app.addSchema(ErrorBody)
  await app.register(errorsPlugin)
  // Before any route: it completes every route's documented answers as the route is added.
  await app.register(apiDocs)
  await app.register(jsonBody)
  await app.register(corePlugin, { config })
  await app.register(swagger)
  await app.register(cors)
  await app.register(cookie)
  await app.register(jwt)
  await app.register(authPlugin)
  await app.register(gateway)
  await app.register(metrics)

  await app.register(healthRoutes)
  await app.register(protocolRoutes)
  await app.register(authRoutes, { prefix: '/api/auth' })
  await app.register(meRoutes, { prefix: '/api/me' })
  await app.register(adminRoutes, { prefix: '/api/admin' })
  await app.register(userRoutes, { prefix: '/api/users' })
  await app.register(postRoutes, { prefix: '/api/posts' })
  await app.register(roomRoutes, { prefix: '/api/rooms' })
  // POST /api/rooms/:id/files and GET /api/files/:id, with the multipart parser in their scope.
  await app.register(fileRoutes, { prefix: '/api' })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  await app.register(web)

  return app
}

export type App = Awaited<ReturnType<typeof buildApp>>
