// Bot accounts (admins only): create one with its token, list them, rotate a token.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { BotCreated, BotTokenAnswer, CreateBotBody } from '../../src/schemas/bots.ts'
import { errors, IdParams } from '../../src/schemas/common.ts'
import { PublicUser } from '../../src/schemas/users.ts'

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { bots } = app.core
  const tags = ['admin']
  app.addHook('preHandler', app.requireAdmin)

  app.post(
    '',
    {
      schema: {
        operationId: 'createBot',
        tags,
        summary:
          'Create a bot account and its token (shown only in this answer): it uses every route and the socket with `Authorization: Bearer <token>`, never a password; it needs no VIP to join rooms',
        body: CreateBotBody,
        response: {
          201: BotCreated,
          ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'USERNAME_TAKEN', 'NAME_TAKEN'),
        },
      },
    },
    async (request, reply) => reply.code(201).send(await bots.create(request.auth.userId, request.body)),
  )

  app.get(
    '',
    {
      schema: {
        operationId: 'listBots',
        tags,
        summary: 'Every bot account, oldest first',
        response: {
          200: Type.Object({ items: Type.Array(PublicUser) }),
          ...errors('UNAUTHENTICATED', 'FORBIDDEN'),
        },
      },
    },
    async () => bots.list(),
  )

  app.delete(
    '/:id/token',
    {
      schema: {
        operationId: 'rotateBotToken',
        tags,
        summary:
          'A new token for the bot (shown only in this answer): its other tokens are refused on every instance at once and the sockets opened with them are closed (4001)',
        params: IdParams,
        response: { 201: BotTokenAnswer, ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND') },
      },
    },
    async (request, reply) => reply.code(201).send(await bots.rotate(request.auth.userId, request.params.id)),
  )
}

export default routes
