// Outgoing integrations, admins only: the routes translate, src/integrations/service.ts decides.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { errors, IdParams } from '../../src/schemas/common.ts'
import {
  IntegrationBody,
  IntegrationCreated,
  IntegrationDetail,
  IntegrationList,
} from '../../src/schemas/integrations.ts'

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { integrations } = app.core
  const tags = ['admin']
  app.addHook('preHandler', app.requireAdmin)

  app.post(
    '/',
    {
      schema: {
        operationId: 'createIntegration',
        tags,
        summary:
          "Send every event of these rooms to a URL, signed with the secret (shown never again); starts after each room's last seq",
        body: IntegrationBody,
        response: {
          201: IntegrationCreated,
          ...errors('VALIDATION', 'UNAUTHENTICATED', 'FORBIDDEN', 'TOO_MANY_INTEGRATIONS'),
        },
      },
    },
    async (request, reply) =>
      reply.code(201).send({ integration: await integrations.create(request.auth.userId, request.body) }),
  )

  app.get(
    '/',
    {
      schema: {
        operationId: 'listIntegrations',
        tags,
        summary: 'Every integration, oldest first, without its secret',
        response: { 200: IntegrationList, ...errors('UNAUTHENTICATED', 'FORBIDDEN') },
      },
    },
    async () => integrations.list(),
  )

  app.get(
    '/:id',
    {
      schema: {
        operationId: 'getIntegration',
        tags,
        summary: 'An integration and where its delivery stands in each room',
        params: IdParams,
        response: { 200: IntegrationDetail, ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND') },
      },
    },
    async (request) => integrations.get(request.params.id),
  )

  app.delete(
    '/:id',
    {
      schema: {
        operationId: 'deleteIntegration',
        tags,
        summary: 'Stop and delete an integration',
        params: IdParams,
        response: { 204: Type.Null(), ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND') },
      },
    },
    async (request, reply) => {
      await integrations.delete(request.auth.userId, request.params.id)
      return reply.code(204).send(null)
    },
  )
}

export default routes
