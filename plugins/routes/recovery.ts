// The way back in: address verification, "forgot my password", the reset, and the admin's reset
// link. Only translates: src/accounts/recovery.ts decides.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { errors, IdParams } from '../../src/schemas/common.ts'
import { ForgotBody, ResetBody, ResetLink, TokenBody } from '../../src/schemas/notify.ts'

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { recovery } = app.core

  app.post(
    '/auth/email/verify',
    {
      schema: {
        operationId: 'verifyEmail',
        tags: ['auth'],
        summary: 'Confirm a mail address with the token of its link; 404 when mail is off',
        security: [],
        body: TokenBody,
        response: { 204: Type.Null(), ...errors('INVALID_TOKEN', 'NOT_FOUND') },
      },
    },
    async (request, reply) => {
      await recovery.verifyEmail(request.body.token)
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/auth/password/forgot',
    {
      schema: {
        operationId: 'forgotPassword',
        tags: ['auth'],
        summary:
          'Ask for a reset link by username or mail address: 202 whatever the account (a mail goes to a verified address); 404 when mail is off',
        security: [],
        body: ForgotBody,
        response: { 202: Type.Null(), ...errors('NOT_FOUND', 'RATE_LIMITED') },
      },
    },
    async (request, reply) => {
      await recovery.forgot(request.body, request.ip)
      return reply.code(202).send(null)
    },
  )

  app.post(
    '/auth/password/reset',
    {
      schema: {
        operationId: 'resetPassword',
        tags: ['auth'],
        summary:
          "Set a new password with a reset link's token (mailed, or an admin's): once, within RESET_TOKEN_MINUTES; every session of the user is revoked on every instance",
        security: [],
        body: ResetBody,
        response: { 204: Type.Null(), ...errors('INVALID_TOKEN') },
      },
    },
    async (request, reply) => {
      await recovery.reset(request.body.token, request.body.password)
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/admin/users/:id/reset-link',
    {
      preHandler: app.requireAdmin,
      schema: {
        operationId: 'adminResetLink',
        tags: ['admin'],
        summary:
          'A password reset link for the user, to hand over by other means (a community without mail); audited as `user.reset-link`',
        params: IdParams,
        response: { 201: ResetLink, ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND') },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await recovery.adminResetLink(request.auth.userId, request.params.id)),
  )
}

export default routes
