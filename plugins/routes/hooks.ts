// POST /hooks/:hookId/:secret: another server posts a message through an incoming webhook.
// No session, cookie or CSRF check: the secret in the path is the credential (src/bots/webhooks.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HookParams, HookPostBody, HookPosted } from '../../src/schemas/bots.ts'
import { errors } from '../../src/schemas/common.ts'

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { webhooks } = app.core

  app.post(
    '/:hookId/:secret',
    {
      schema: {
        operationId: 'postToWebhook',
        tags: ['rooms'],
        summary:
          "Post a message to the webhook's room, shown with the webhook's name (or `displayName`). 404 for a wrong secret, an unknown or deleted webhook or room alike; 429 past RATE_WEBHOOK a minute",
        params: HookParams,
        body: HookPostBody,
        response: { 201: HookPosted, ...errors('NOT_FOUND', 'RATE_LIMITED') },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await webhooks.post(request.params.hookId, request.params.secret, request.body)),
  )
}

export default routes
