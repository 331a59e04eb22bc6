import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { AppError } from '../../src/errors.ts'
import { errors } from '../../src/schemas/common.ts'

const Status = Type.Object({ status: Type.String() })

const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'health',
        tags: ['operations'],
        summary: 'The process is alive',
        response: { 200: Status },
      },
    },
    async () => ({ status: 'ok' }),
  )

  app.get(
    '/readyz',
    {
      schema: {
        operationId: 'ready',
        tags: ['operations'],
        summary: 'The store and the bus answer and the instance is not draining',
        response: { 200: Status, ...errors('UNAVAILABLE') },
      },
    },
    async () => {
      // Draining: the load balancer stops sending new clients here.
      if (app.lifecycle.draining) throw new AppError(503, 'UNAVAILABLE', 'Draining')
      await app.core.ready().catch((err) => {
        app.log.warn({ err }, 'not ready')
        throw new AppError(503, 'UNAVAILABLE', 'The store or the bus does not answer')
      })
      return { status: 'ready' }
    },
  )
}

export default health
