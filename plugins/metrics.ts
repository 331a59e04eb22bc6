// Prometheus: HTTP requests by route and status, and the text of everything the core records.
// Off the public surface by default: GET /metrics on the API port exists only with METRICS_TOKEN
// set, and wants `Authorization: Bearer <token>`; METRICS_PORT serves it token-free on a listener
// of its own (server.ts), bound to METRICS_HOST (loopback unless set, e.g. the pod's address).

import { timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import { AppError } from '../src/errors.ts'
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

    // The labelled series of each method, route and status, looked up once: prom-client checks
    // and hashes a labels object on every call otherwise. Bounded by the routes and statuses.
    const series = new Map<string, { requests: { inc(): void }; duration: { observe(v: number): void } }>()
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched'
      const key = `${request.method} ${reply.statusCode} ${route}`
      let s = series.get(key)
      if (!s) {
        s = {
          requests: metrics.httpRequests.labels(request.method, route, String(reply.statusCode)),
          duration: metrics.httpDuration.labels(request.method, route),
        }
        series.set(key, s)
      }
      s.requests.inc()
      s.duration.observe(reply.elapsedTime / 1000)
      done()
    })

    app.decorate('metricsText', async () => {
      metrics.socketsOpen.set(hub.socketCount())
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
