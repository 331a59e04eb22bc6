import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { errors } from '../../src/schemas/common.ts'
import { DmBody, Room } from '../../src/schemas/rooms.ts'

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { rooms } = app.core
  app.addHook('preHandler', app.authenticate)

  app.post(
    '',
    {
      schema: {
        operationId: 'openDm',
        tags: ['rooms'],
        summary:
          'The one direct room with a user, created on first use (no VIP needed); the same from either side. 403 BLOCKED when either blocks the other',
        body: DmBody,
        response: { 200: Type.Object({ room: Room }), ...errors('UNAUTHENTICATED', 'BLOCKED', 'NOT_FOUND') },
      },
    },
    async (request) => ({ room: await rooms.openDm(request.auth.userId, request.body.userId) }),
  )
}

export default routes
