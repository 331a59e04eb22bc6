import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { errors, IdParams, Page, PageQuery } from '../../src/schemas/common.ts'
import {
  CreateRoomBody,
  EditBody,
  HistoryPage,
  HistoryQuery,
  KickBody,
  Member,
  MemberParams,
  Message,
  MuteBody,
  ReactionParams,
  ReadBody,
  Room,
  RoomsQuery,
  SendBody,
  SeqParams,
} from '../../src/schemas/rooms.ts'
import { PinList } from '../../src/schemas/search.ts'
import { toMessageView } from '../../src/views/rooms.ts'

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
    async (request) => ({ room: await rooms.get(request.params.id, request.auth.userId) }),
  )

  app.post(
    '/:id/join',
    {
      schema: {
        operationId: 'joinRoom',
        tags,
        summary: 'Become a member (idempotent)',
        params: IdParams,
        response: {
          200: RoomAnswer,
          ...errors('UNAUTHENTICATED', 'BANNED_FROM_ROOM', 'NOT_FOUND', 'ROOM_FULL'),
        },
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
          'History in seq order (members only): `after` pages forward; otherwise pages back from `before` (default: the newest). `nextCursor` is the seq to pass next. `around` gives the page centred on a seq, whose `prevCursor` and `nextCursor` go back as `cursor`.',
        params: IdParams,
        querystring: HistoryQuery,
        response: { 200: HistoryPage, ...errors('UNAUTHENTICATED', 'NOT_MEMBER', 'NOT_FOUND', 'VALIDATION') },
      },
    },
    async (request) => chat.history(request.auth.userId, request.params.id, request.query),
  )

  app.get(
    '/:id/pins',
    {
      schema: {
        operationId: 'listPins',
        tags,
        summary: "The room's pinned messages, latest pin first (members only)",
        params: IdParams,
        response: { 200: PinList, ...errors('UNAUTHENTICATED', 'NOT_MEMBER', 'NOT_FOUND') },
      },
    },
    async (request) => chat.pins(request.auth.userId, request.params.id),
  )

  app.put(
    '/:id/pins/:seq',
    {
      schema: {
        operationId: 'pinMessage',
        tags,
        summary:
          "Pin a message (the room's creator or an admin); idempotent; a new pin is a `pin` event in the room's stream",
        params: SeqParams,
        response: {
          204: Type.Null(),
          ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_MEMBER', 'NOT_FOUND', 'DELETED', 'TOO_MANY_PINS'),
        },
      },
    },
    async (request, reply) => {
      await chat.pin(request.auth.userId, request.params.id, request.params.seq)
      return reply.code(204).send(null)
    },
  )

  app.delete(
    '/:id/pins/:seq',
    {
      schema: {
        operationId: 'unpinMessage',
        tags,
        summary: 'Unpin a message (the same people as pinning); idempotent',
        params: SeqParams,
        response: { 204: Type.Null(), ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_MEMBER', 'NOT_FOUND') },
      },
    },
    async (request, reply) => {
      await chat.unpin(request.auth.userId, request.params.id, request.params.seq)
      return reply.code(204).send(null)
    },
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
          ...errors('UNAUTHENTICATED', 'NOT_MEMBER', 'MUTED', 'NOT_FOUND', 'DELETED', 'RATE_LIMITED'),
        },
      },
    },
    async (request, reply) => {
      const { message } = await chat.send(
        request.auth.userId,
        request.params.id,
        request.body.text,
        request.body.clientMsgId,
        request.body.replyTo,
      )
      return reply.code(201).send({ message: toMessageView(message, request.auth.userId) })
    },
  )

  app.patch(
    '/:id/messages/:seq',
    {
      schema: {
        operationId: 'editMessage',
        tags,
        summary: 'Edit my message; the room gets an `update` with its new text',
        params: SeqParams,
        body: EditBody,
        response: {
          200: Type.Object({ message: Message }),
          ...errors(
            'UNAUTHENTICATED',
            'FORBIDDEN',
            'NOT_MEMBER',
            'MUTED',
            'NOT_FOUND',
            'DELETED',
            'RATE_LIMITED',
          ),
        },
      },
    },
    async (request) => ({
      message: await chat.edit(request.auth.userId, request.params.id, request.params.seq, request.body.text),
    }),
  )

  app.delete(
    '/:id/messages/:seq',
    {
      schema: {
        operationId: 'deleteMessage',
        tags,
        summary:
          "Delete a message (its author, the room's creator or an admin): text and file are gone (idempotent)",
        params: SeqParams,
        response: { 204: Type.Null(), ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_MEMBER', 'NOT_FOUND') },
      },
    },
    async (request, reply) => {
      await chat.delete(request.auth.userId, request.params.id, request.params.seq)
      return reply.code(204).send(null)
    },
  )

  app.put(
    '/:id/messages/:seq/reactions/:emoji',
    {
      schema: {
        operationId: 'addReaction',
        tags,
        summary: 'React with one emoji (idempotent); at most 20 different emojis per message',
        params: ReactionParams,
        response: {
          204: Type.Null(),
          ...errors(
            'UNAUTHENTICATED',
            'FORBIDDEN',
            'NOT_MEMBER',
            'MUTED',
            'NOT_FOUND',
            'DELETED',
            'TOO_MANY_REACTIONS',
            'RATE_LIMITED',
          ),
        },
      },
    },
    async (request, reply) => {
      const { id, seq, emoji } = request.params
      await chat.react(request.auth.userId, id, seq, emoji)
      return reply.code(204).send(null)
    },
  )

  app.delete(
    '/:id/messages/:seq/reactions/:emoji',
    {
      schema: {
        operationId: 'removeReaction',
        tags,
        summary: 'Take my reaction back (idempotent)',
        params: ReactionParams,
        response: { 204: Type.Null(), ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_MEMBER', 'NOT_FOUND') },
      },
    },
    async (request, reply) => {
      const { id, seq, emoji } = request.params
      await chat.unreact(request.auth.userId, id, seq, emoji)
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/:id/read',
    {
      schema: {
        operationId: 'markRead',
        tags,
        summary: 'Move my read marker (never back); my other sockets get a `read` frame',
        params: IdParams,
        body: ReadBody,
        response: { 204: Type.Null(), ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_MEMBER', 'NOT_FOUND') },
      },
    },
    async (request, reply) => {
      await chat.markRead(request.auth.userId, request.params.id, request.body.seq)
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/:id/members/:userId/kick',
    {
      schema: {
        operationId: 'kickMember',
        tags,
        summary:
          "Remove a member (the room's creator or an admin; not a site admin for a creator) and keep them out for `minutes` (default 10; 0 only removes): their sockets get `removed` with reason `kicked`, a join 403 BANNED_FROM_ROOM",
        params: MemberParams,
        body: KickBody,
        response: { 204: Type.Null(), ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_MEMBER', 'NOT_FOUND') },
      },
      // The body is optional: a kick without one is a kick of the default length.
      preValidation: async (request) => {
        request.body ??= {}
      },
    },
    async (request, reply) => {
      const { id, userId } = request.params
      await rooms.kick(request.auth.userId, id, userId, request.body.minutes)
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/:id/members/:userId/ban',
    {
      schema: {
        operationId: 'banFromRoom',
        tags,
        summary:
          "Ban a user from the room until lifted (the room's creator or an admin; not a site admin for a creator): a member is removed (`removed` with reason `banned`), a join gets 403 BANNED_FROM_ROOM",
        params: MemberParams,
        response: { 204: Type.Null(), ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND') },
      },
    },
    async (request, reply) => {
      await rooms.ban(request.auth.userId, request.params.id, request.params.userId)
      return reply.code(204).send(null)
    },
  )

  app.delete(
    '/:id/members/:userId/ban',
    {
      schema: {
        operationId: 'unbanFromRoom',
        tags,
        summary: "Lift a user's ban (and a kick's bar) of the room; idempotent",
        params: MemberParams,
        response: { 204: Type.Null(), ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND') },
      },
    },
    async (request, reply) => {
      await rooms.unban(request.auth.userId, request.params.id, request.params.userId)
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/:id/members/:userId/mute',
    {
      schema: {
        operationId: 'muteMember',
        tags,
        summary:
          "Mute a member for `minutes` (0 lifts it; the room's creator or an admin): their sends get 403 MUTED",
        params: MemberParams,
        body: MuteBody,
        response: { 204: Type.Null(), ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_MEMBER', 'NOT_FOUND') },
      },
    },
    async (request, reply) => {
      await rooms.mute(request.auth.userId, request.params.id, request.params.userId, request.body.minutes)
      return reply.code(204).send(null)
    },
  )

  app.delete(
    '/:id',
    {
      schema: {
        operationId: 'deleteRoom',
        tags,
        summary:
          'Delete a room with its messages (its creator or an admin; a direct room only an admin: its members leave it)',
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
