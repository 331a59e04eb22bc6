import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { toMessageView } from '../../src/rooms/views.ts'
import { errors, IdParams, Page, PageQuery } from '../../src/schemas/common.ts'
import {
  CreateRoomBody,
  HistoryQuery,
  Member,
  Message,
  Room,
  RoomsQuery,
  SendBody,
} from '../../src/schemas/rooms.ts'

const RoomAnswer = Type.Object({ room: Room })

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { rooms, chat } = app.core
  const tags = ['rooms']
  app.addHook('preHandler', app.authenticate)

  app.post(
    '',
    {
      schema: {
        operationId: 'createRoom',
        tags,
        summary: 'Create a room (VIP or admin); the creator is its first member',
        body: CreateRoomBody,
        response: { 201: RoomAnswer, ...errors('UNAUTHENTICATED', 'VIP_REQUIRED') },
      },
    },
    async (request, reply) =>
      reply.code(201).send({ room: await rooms.create(request.auth.userId, request.body) }),
  )

  app.get(
    '',
    {
      schema: {
        operationId: 'listRooms',
        tags,
        summary: 'Rooms, busiest first then newest; `q` searches names, `mine` keeps my rooms',
        querystring: RoomsQuery,
        response: { 200: Page(Room), ...errors('UNAUTHENTICATED') },
      },
    },
    async (request) => rooms.list(request.auth.userId, request.query),
  )

  app.get(
    '/:id',
    {
      schema: {
        operationId: 'getRoom',
        tags,
        summary: 'One room',
        params: IdParams,
        response: { 200: RoomAnswer, ...errors('UNAUTHENTICATED', 'NOT_FOUND') },
      },
    },
    async (request) => ({ room: await rooms.get(request.params.id) }),
  )

  app.post(
    '/:id/join',
    {
      schema: {
        operationId: 'joinRoom',
        tags,
        summary: 'Become a member (idempotent)',
        params: IdParams,
        response: { 200: RoomAnswer, ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'ROOM_FULL') },
      },
    },
    async (request) => ({ room: await rooms.join(request.auth.userId, request.params.id) }),
  )

  app.post(
    '/:id/leave',
    {
      schema: {
        operationId: 'leaveRoom',
        tags,
        summary: 'Stop being a member (idempotent); live delivery to my sockets ends',
        params: IdParams,
        response: { 204: Type.Null(), ...errors('UNAUTHENTICATED', 'NOT_FOUND') },
      },
    },
    async (request, reply) => {
      await rooms.leave(request.auth.userId, request.params.id)
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/:id/members',
    {
      schema: {
        operationId: 'listMembers',
        tags,
        summary: 'Members in join order, with who is online (members only)',
        params: IdParams,
        querystring: PageQuery,
        response: { 200: Page(Member), ...errors('UNAUTHENTICATED', 'NOT_MEMBER', 'NOT_FOUND') },
      },
    },
    async (request) => rooms.members(request.auth.userId, request.params.id, request.query),
  )

  app.get(
    '/:id/messages',
    {
      schema: {
        operationId: 'listMessages',
        tags,
        summary:
          'History in seq order (members only): `after` pages forward; otherwise pages back from `before` (default: the newest). `nextCursor` is the seq to pass next.',
        params: IdParams,
        querystring: HistoryQuery,
        response: { 200: Page(Message), ...errors('UNAUTHENTICATED', 'NOT_MEMBER', 'NOT_FOUND') },
      },
    },
    async (request) => chat.history(request.auth.userId, request.params.id, request.query),
  )

  app.post(
    '/:id/messages',
    {
      schema: {
        operationId: 'sendMessage',
        tags,
        summary: 'Send a message; same rules and idempotency (by clientMsgId) as the socket `send`',
        params: IdParams,
        body: SendBody,
        response: {
          201: Type.Object({ message: Message }),
          ...errors('UNAUTHENTICATED', 'NOT_MEMBER', 'NOT_FOUND', 'RATE_LIMITED'),
        },
      },
    },
    async (request, reply) => {
      const { message } = await chat.send(
        request.auth.userId,
        request.params.id,
        request.body.text,
        request.body.clientMsgId,
      )
      return reply.code(201).send({ message: toMessageView(message) })
    },
  )

  app.delete(
    '/:id',
    {
      schema: {
        operationId: 'deleteRoom',
        tags,
        summary: 'Delete a room with its messages (its creator or an admin)',
        params: IdParams,
        response: { 204: Type.Null(), ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND') },
      },
    },
    async (request, reply) => {
      await rooms.delete(request.auth.userId, request.params.id)
      return reply.code(204).send(null)
    },
  )
}

export default routes
