// Prometheus: HTTP requests by route and status, and GET /metrics with everything the core
// records. With METRICS_TOKEN set, /metrics wants `Authorization: Bearer <token>`.

import { timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import { AppError } from '../src/errors.ts'

export default fp(
  async (app) => {
    const { metrics, hub, config } = app.core
    const token = config.METRICS_TOKEN ? Buffer.from(`Bearer ${config.METRICS_TOKEN}`) : null

    // The labelled series of each method, route and status, looked up once: prom-client checks
    // and hashes a labels object on every call otherwise. Bounded by the routes and statuses.
    const series = new Map<string, { requests: { inc(): void }; duration: { observe(v: number): void } }>()
    app.addHook('onResponse', async (request, reply) => {
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
    })

    app.get(
      '/metrics',
      { schema: { tags: ['operations'], summary: 'Prometheus metrics (text format)' } },
      async (request, reply) => {
        if (token) {
          const given = Buffer.from(request.headers.authorization ?? '')
          if (given.length !== token.length || !timingSafeEqual(given, token)) {
            throw new AppError(401, 'UNAUTHENTICATED', 'A metrics token is required')
          }
        }
        metrics.socketsOpen.set(hub.socketCount())
        reply.header('content-type', metrics.registry.contentType)
        return metrics.registry.metrics()
      },
    )
  },
  { name: 'metrics', dependencies: ['core'] },
)
