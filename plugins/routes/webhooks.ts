// A room's incoming webhooks (its creator or an admin): create (the URL with its secret, shown
// once), list (no secrets), delete. Posting to one is plugins/routes/hooks.ts.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { CreateWebhookBody, Webhook, WebhookCreated, WebhookParams } from '../../src/schemas/bots.ts'
import { errors, IdParams } from '../../src/schemas/common.ts'

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { webhooks, config } = app.core
  const tags = ['rooms']
  app.addHook('preHandler', app.authenticate)

  app.post(
    '/:id/webhooks',
    {
      schema: {
        operationId: 'createWebhook',
        tags,
        summary:
          'Create an incoming webhook of the room (its creator or an admin): `url` holds its secret and is shown only in this answer. 409 TOO_MANY_WEBHOOKS past 10 per room',
        params: IdParams,
        body: CreateWebhookBody,
        response: {
          201: WebhookCreated,
          ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'TOO_MANY_WEBHOOKS'),
        },
      },
    },
    async (request, reply) => {
      const base = config.PUBLIC_URL ?? `${request.protocol}://${request.host}`
      return reply
        .code(201)
        .send(await webhooks.create(request.auth.userId, request.params.id, request.body.name, base))
    },
  )

  app.get(
    '/:id/webhooks',
    {
      schema: {
        operationId: 'listWebhooks',
        tags,
        summary:
          "The room's incoming webhooks, oldest first, without their secrets (its creator or an admin)",
        params: IdParams,
        response: {
          200: Type.Object({ items: Type.Array(Webhook) }),
          ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND'),
        },
      },
    },
    async (request) => webhooks.list(request.auth.userId, request.params.id),
  )

  app.delete(
    '/:id/webhooks/:hookId',
    {
      schema: {
        operationId: 'deleteWebhook',
        tags,
        summary: 'Delete an incoming webhook: its URL answers 404 from now on, on every instance',
        params: WebhookParams,
        response: { 204: Type.Null(), ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND') },
      },
    },
    async (request, reply) => {
      await webhooks.delete(request.auth.userId, request.params.id, request.params.hookId)
      return reply.code(204).send(null)
    },
  )
}

export default routes
