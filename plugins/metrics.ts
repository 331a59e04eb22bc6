// Prometheus: HTTP requests by route and status, and GET /metrics with everything the core
// records. With METRICS_TOKEN set, /metrics wants `Authorization: Bearer <token>`.

import { timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import { AppError } from '../src/errors.ts'
import { errors } from '../src/schemas/common.ts'

export default fp(
  async (app) => {
    const { metrics, hub, config } = app.core
    const token = config.METRICS_TOKEN ? Buffer.from(`Bearer ${config.METRICS_TOKEN}`) : null

    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched'
      const labels = { method: request.method, route }
      metrics.httpRequests.inc({ ...labels, status: String(reply.statusCode) })
      metrics.httpDuration.observe(labels, reply.elapsedTime / 1000)
    })

    app.get(
      '/metrics',
      {
        schema: {
          operationId: 'metrics',
          tags: ['operations'],
          summary: 'Prometheus metrics (text format); with METRICS_TOKEN set, it wants that token as Bearer',
          ...(token ? { security: [{ metricsToken: [] }], response: errors('UNAUTHENTICATED') } : {}),
        },
      },
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
