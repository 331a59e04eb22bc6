// Prometheus: HTTP requests by route and status, and the text of everything the core records.
// Off the public surface by default: GET /metrics on the API port exists only with METRICS_TOKEN
// set, and wants `Authorization: Bearer <token>`; METRICS_PORT serves it token-free on a listener
// of its own (server.ts), bound to METRICS_HOST (loopback unless set, e.g. the pod's address).

import { timingSafeEqual } from 'node:crypto'
import type { Server } from 'node:http'
import fp from 'fastify-plugin'
import { AppError } from '../src/errors.ts'
import type { CountCell } from '../src/metrics.ts'
import { errors } from '../src/schemas/common.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** The Prometheus exposition: its content type and text. */
    metricsText(): Promise<{ contentType: string; text: string }>
  }
}

export default fp(
  async (app) => {
    const { metrics, hub, config } = app.core

    // Each route's series by method and status, looked up once and kept (bounded by the routes,
    // methods and statuses): the request count is a plain number the counter reads when scraped,
    // and the duration goes to the histogram's labelled series. Nested maps, so that no key is
    // built and hashed per request.
    interface Series {
      requests: CountCell
      duration: { observe(v: number): void }
    }
    const byRoute = new Map<string, Map<string, Map<number, Series>>>()
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched'
      const method = request.method
      const status = reply.statusCode
      let byMethod = byRoute.get(route)
      if (byMethod === undefined) {
        byMethod = new Map()
        byRoute.set(route, byMethod)
      }
      let byStatus = byMethod.get(method)
      if (byStatus === undefined) {
        byStatus = new Map()
        byMethod.set(method, byStatus)
      }
      let s = byStatus.get(status)
      if (s === undefined) {
        s = {
          requests: metrics.httpRequests.cell({ method, route, status: String(status) }),
          duration: metrics.httpDuration.labels(method, route),
        }
        byStatus.set(status, s)
      }
      s.requests.count++
      s.duration.observe(reply.elapsedTime / 1000)
      done()
    })

    app.decorate('metricsText', async () => {
      metrics.socketsOpen.set(hub.socketCount())
      metrics.connectionsOpen.set(await connectionCount(app.server))
      return { contentType: metrics.registry.contentType, text: await metrics.registry.metrics() }
    })

    if (!config.METRICS_TOKEN) return
    const token = Buffer.from(`Bearer ${config.METRICS_TOKEN}`)
    app.get(
      '/metrics',
      {
        schema: {
          operationId: 'metrics',
          tags: ['operations'],
          summary:
            'Prometheus metrics (text format); only with METRICS_TOKEN set, which it wants as a Bearer token',
          security: [{ metricsToken: [] }],
          response: errors('UNAUTHENTICATED'),
        },
      },
      async (request, reply) => {
        const given = Buffer.from(request.headers.authorization ?? '')
        if (given.length !== token.length || !timingSafeEqual(given, token)) {
          throw new AppError(401, 'UNAUTHENTICATED', 'A metrics token is required')
        }
        const { contentType, text } = await app.metricsText()
        reply.header('content-type', contentType)
        return text
      },
    )
  },
  { name: 'metrics', dependencies: ['core'] },
)

/** The connections the server holds (0 when it has never listened, as under `inject`). */
const connectionCount = (server: Server) =>
  new Promise<number>((resolve) => server.getConnections((err, count) => resolve(err ? 0 : count)))
