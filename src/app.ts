// Builds the Fastify app from its plugins. Tests build it exactly this way; server.ts listens.
import { randomUUID } from 'node:crypto'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyServerOptions } from 'fastify'
import apiDocs from '../plugins/api-docs.ts'
import authPlugin from '../plugins/auth.ts'
import cacheControl from '../plugins/cache-control.ts'
import connections from '../plugins/connections.ts'
import corePlugin from '../plugins/core.ts'
import errorsPlugin, { frameworkErrors } from '../plugins/errors.ts'
import cookie from '../plugins/external/cookie.ts'
import cors from '../plugins/external/cors.ts'
import helmet from '../plugins/external/helmet.ts'
import jwt from '../plugins/external/jwt.ts'
import swagger from '../plugins/external/swagger.ts'
import gateway from '../plugins/gateway.ts'
import jsonBody from '../plugins/json-body.ts'
import lifecycle from '../plugins/lifecycle.ts'
import metrics from '../plugins/metrics.ts'
import adminRoutes from '../plugins/routes/admin.ts'
import authRoutes from '../plugins/routes/auth.ts'
import avatarRoutes from '../plugins/routes/avatars.ts'
import botRoutes from '../plugins/routes/bots.ts'
import dmRoutes from '../plugins/routes/dms.ts'
import fileRoutes from '../plugins/routes/files.ts'
import healthRoutes from '../plugins/routes/health.ts'
import hookRoutes from '../plugins/routes/hooks.ts'
import integrationRoutes from '../plugins/routes/integrations.ts'
import meRoutes from '../plugins/routes/me.ts'
import memberCodeRoutes from '../plugins/routes/member-codes.ts'
import postRoutes from '../plugins/routes/posts.ts'
import protocolRoutes from '../plugins/routes/protocol.ts'
import pushRoutes from '../plugins/routes/push.ts'
import recoveryRoutes from '../plugins/routes/recovery.ts'
import reportRoutes from '../plugins/routes/reports.ts'
import roomRoutes from '../plugins/routes/rooms.ts'
import searchRoutes from '../plugins/routes/search.ts'
import userRoutes from '../plugins/routes/users.ts'
import webhookRoutes from '../plugins/routes/webhooks.ts'
import web from '../plugins/web.ts'
import type { Config, TrustProxy } from './config.ts'
import { clientErrorHandler } from './http/client-errors.ts'
import { validationMessage } from './http/validation-message.ts'
import { buildValidator } from './http/validator.ts'
import { ErrorBody } from './schemas/common.ts'

export interface BuildOptions {
  /** Overrides the logger (tests pass false or a level). */
  logger?: FastifyServerOptions['logger']
}

export async function buildApp(config: Config, options: BuildOptions = {}) {
  const app = Fastify({
    logger: options.logger ?? {
      level: config.LOG_LEVEL,
      redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
      // A WebSocket ticket in the query string is a credential for 30 s: never written down.
      serializers: {
        req: (req: {
          method: string
          url: string
          host?: string
          ip?: string
          socket?: { remotePort?: number }
        }) => ({
          method: req.method,
          url: withoutTicket(req.url),
          host: req.host,
          remoteAddress: req.ip,
          remotePort: req.socket?.remotePort,
        }),
      },
    },
    // Only the configured proxies' X-Forwarded-For is believed (addresses or a hop count).
    trustProxy: trustProxyOption(config.TRUST_PROXY),
    // Slow clients cannot hold connections: headers, the whole request (body included) and
    // silence each have a bound; idle keep-alive connections are let go soon.
    http: {
      // Node refuses a headers timeout longer than the request timeout.
      headersTimeout:
        Math.min(config.HTTP_HEADERS_TIMEOUT_SECONDS, config.HTTP_REQUEST_TIMEOUT_SECONDS) * 1000,
      // How often Node checks the two bounds above (its default, 30 s, would let them overrun).
      // A new connection's headers have an exact deadline of their own (src/http/deadlines.ts).
      connectionsCheckingInterval: 500,
    },
    // Time-outs and malformed HTTP answered in the contract's shape (no request exists yet).
    clientErrorHandler,
    requestTimeout: config.HTTP_REQUEST_TIMEOUT_SECONDS * 1000,
    connectionTimeout: config.HTTP_IDLE_TIMEOUT_SECONDS * 1000,
    keepAliveTimeout: config.HTTP_KEEPALIVE_SECONDS * 1000,
    // Opening the store creates its indexes: on a busy MongoDB-wire server that can take a while.
    pluginTimeout: 60_000,
    bodyLimit: config.BODY_LIMIT_BYTES,
    requestIdHeader: 'x-request-id',
    // Malformed and overlong URLs answer in the contract's error shape too.
    frameworkErrors,
    genReqId: () => randomUUID(),
    // Unknown body properties are dropped, not rejected: clients may be newer than the server.
    // Query strings and path parameters convert ("10" is 10); bodies do not (src/http/validator.ts).
    ajv: { customOptions: { removeAdditional: true, coerceTypes: 'array', useDefaults: true } },
    schemaController: { compilersFactory: { buildValidator } },
    schemaErrorFormatter: (errors, dataVar) => new Error(validationMessage(errors, dataVar)),
  }).withTypeProvider<TypeBoxTypeProvider>()

  // First, so that its preClose hook (the drain starts: /readyz and upgrades answer 503) runs
  // before every other plugin's.
  await app.register(lifecycle)
  app.addSchema(ErrorBody)
  await app.register(errorsPlugin)
  // Before any route: it completes every route's documented answers as the route is added.
  await app.register(apiDocs)
  await app.register(jsonBody)
  await app.register(corePlugin, { config })
  await app.register(helmet)
  await app.register(cacheControl)
  await app.register(swagger)
  await app.register(cors)
  await app.register(cookie)
  await app.register(jwt)
  await app.register(authPlugin)
  await app.register(gateway)
  await app.register(metrics)
  // Before the routes: it exempts the upload routes' bodies from the body deadline as they are added.
  await app.register(connections)

  await app.register(healthRoutes)
  await app.register(protocolRoutes)
  await app.register(authRoutes, { prefix: '/api/auth' })
  await app.register(meRoutes, { prefix: '/api/me' })
  await app.register(memberCodeRoutes, { prefix: '/api/me' })
  await app.register(adminRoutes, { prefix: '/api/admin' })
  await app.register(integrationRoutes, { prefix: '/api/admin/integrations' })
  await app.register(userRoutes, { prefix: '/api/users' })
  await app.register(postRoutes, { prefix: '/api/posts' })
  await app.register(roomRoutes, { prefix: '/api/rooms' })
  await app.register(searchRoutes, { prefix: '/api/search' })
  await app.register(dmRoutes, { prefix: '/api/dms' })
  await app.register(reportRoutes, { prefix: '/api' })
  // Push, notification settings, mail addresses and resets: routes under /api/push, /api/me,
  // /api/auth and /api/admin, kept together by feature.
  await app.register(pushRoutes, { prefix: '/api' })
  await app.register(recoveryRoutes, { prefix: '/api' })
  // POST /api/rooms/:id/files and GET /api/files/:id, with the multipart parser in their scope.
  await app.register(fileRoutes, { prefix: '/api' })
  await app.register(avatarRoutes, { prefix: '/api' })
  // Integrations: bot accounts, rooms' incoming webhooks, and the webhooks' own door.
  await app.register(botRoutes, { prefix: '/api/admin/bots' })
  await app.register(webhookRoutes, { prefix: '/api/rooms' })
  await app.register(hookRoutes, { prefix: '/hooks' })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  await app.register(web)

  return app
}

/** The URL with the value of any `ticket` query parameter replaced. */
export const withoutTicket = (url: string) => url.replace(/([?&]ticket=)[^&#]*/gi, '$1[redacted]')

/** Fastify believes a hop count too, but its types want it as the equivalent function. */
function trustProxyOption(trust: TrustProxy): FastifyServerOptions['trustProxy'] {
  if (typeof trust === 'number') return (_address: string, hop: number) => hop < trust
  return trust
}

export type App = Awaited<ReturnType<typeof buildApp>>
