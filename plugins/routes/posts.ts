import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { errors, IdParams, Page } from '../../src/schemas/common.ts'
import { HOME_WALL, Post, PostAnswer, PostBody, WallQuery } from '../../src/schemas/posts.ts'

/** The home page's wall, and deleting a post from any wall. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { walls } = app.core
  const tags = ['walls']
  app.addHook('preHandler', app.authenticate)

  app.get(
    '',
    {
      schema: {
        operationId: 'listHomePosts',
        tags,
        summary: 'The home wall, newest first',
        querystring: WallQuery,
        response: { 200: Page(Post), ...errors('UNAUTHENTICATED') },
      },
    },
    async (request) => walls.list(HOME_WALL, request.query),
  )

  app.post(
    '',
    {
      schema: {
        operationId: 'createHomePost',
        tags,
        summary: 'Post on the home wall',
        body: PostBody,
        response: { 201: PostAnswer, ...errors('UNAUTHENTICATED', 'RATE_LIMITED') },
      },
    },
    async (request, reply) => {
      const post = await walls.post(request.auth.userId, HOME_WALL, request.body.text)
      return reply.code(201).send({ post })
    },
  )

  app.delete(
    '/:id',
    {
      schema: {
        operationId: 'deletePost',
        tags,
        summary: 'Delete a post: its author, the owner of its wall or an admin',
        params: IdParams,
        response: { 204: Type.Null(), ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND') },
      },
    },
    async (request, reply) => {
      await walls.delete(request.auth.userId, request.params.id)
      return reply.code(204).send(null)
    },
  )
}

export default routes
