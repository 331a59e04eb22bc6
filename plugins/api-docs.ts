// Completes every route's documented answers from its shape as the route is added (see
// src/http/api-docs/error-responses.ts): registered before any route.
import fp from 'fastify-plugin'
import { completeRoute, type RouteShape } from '../src/http/api-docs/error-responses.ts'

export default fp(
  async (app) => {
    app.addHook('onRoute', (route) => {
      const schema = route.schema as (RouteShape['schema'] & { hide?: boolean }) | undefined
      if (!schema || schema.hide) return
      completeRoute({ method: route.method, url: route.url, schema })
    })
  },
  { name: 'api-docs' },
)
