import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errors, IdParams, Page } from '../../src/schemas/common.ts'
import { PublicUserAnswer, UsersQuery } from '../../src/schemas/directory.ts'
import { Post, PostAnswer, PostBody, WallQuery } from '../../src/schemas/posts.ts'
import { PublicUser } from '../../src/schemas/users.ts'

/** The user directory and every user's wall. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { directory, walls } = app.core
  app.addHook('preHandler', app.authenticate)

  app.get(
    '',
    {
      schema: {
        operationId: 'listUsers',
        tags: ['directory'],
        summary: 'Users by username; q matches a prefix of the username or display name, any case',
        querystring: UsersQuery,
        response: { 200: Page(PublicUser), ...errors('UNAUTHENTICATED') },
      },
    },
    async (request) => directory.list(request.query),
  )

  app.get(
    '/:id',
    {
      schema: {
        operationId: 'getUser',
        tags: ['directory'],
        summary: 'A user, public view',
        params: IdParams,
        response: { 200: PublicUserAnswer, ...errors('UNAUTHENTICATED', 'NOT_FOUND') },
      },
    },
    async (request) => ({ user: await directory.get(request.params.id) }),
  )

  app.get(
    '/:id/posts',
    {
      schema: {
        operationId: 'listUserPosts',
        tags: ['walls'],
        summary: "A user's wall, newest first",
        params: IdParams,
        querystring: WallQuery,
        response: { 200: Page(Post), ...errors('UNAUTHENTICATED', 'NOT_FOUND') },
      },
    },
    async (request) => walls.list(request.params.id, request.query),
  )

  app.post(
    '/:id/posts',
    {
      schema: {
        operationId: 'createUserPost',
        tags: ['walls'],
        summary: "Post on a user's wall",
        params: IdParams,
        body: PostBody,
        response: { 201: PostAnswer, ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'RATE_LIMITED') },
      },
    },
    async (request, reply) => {
      const post = await walls.post(request.auth.userId, request.params.id, request.body.text)
      return reply.code(201).send({ post })
    },
  )
}

export default routes
