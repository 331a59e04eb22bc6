import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import {
  ActivationCodesBody,
  CodesQuery,
  CodeView,
  InviteCodesBody,
  NewCode,
} from '../../src/schemas/codes.ts'
import { errors, IdParams, Page } from '../../src/schemas/common.ts'
import { AdminUserPatch, OwnUser } from '../../src/schemas/users.ts'

const Minted = Type.Object({ codes: Type.Array(NewCode) })

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { codes, accounts } = app.core
  const tags = ['admin']
  app.addHook('preHandler', app.requireAdmin)

  app.post(
    '/invite-codes',
    {
      schema: {
        tags,
        summary: 'Mint invitation codes; the plain codes are shown only in this answer',
        body: InviteCodesBody,
        response: { 201: Minted, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { count, maxUses, expiresInDays } = request.body
      const minted = await codes.mint('invite', {
        count,
        maxUses,
        expiresInDays,
        createdBy: request.auth.userId,
      })
      return reply.code(201).send({ codes: minted })
    },
  )

  app.post(
    '/activation-codes',
    {
      schema: {
        tags,
        summary: 'Mint VIP activation codes; the plain codes are shown only in this answer',
        body: ActivationCodesBody,
        response: { 201: Minted, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { count, vipDays, expiresInDays } = request.body
      const minted = await codes.mint('activation', {
        count,
        vipDays,
        expiresInDays,
        createdBy: request.auth.userId,
      })
      return reply.code(201).send({ codes: minted })
    },
  )

  app.get(
    '/codes',
    {
      schema: {
        tags,
        summary: 'Codes, newest first, without the plain code',
        querystring: CodesQuery,
        response: { 200: Page(CodeView), ...errors(400, 401, 403) },
      },
    },
    async (request) => codes.list(request.query),
  )

  app.delete(
    '/codes/:id',
    {
      schema: {
        tags,
        summary: 'Revoke a code',
        params: IdParams,
        response: { 204: Type.Null(), ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await codes.revoke(request.params.id)
      return reply.code(204).send(null)
    },
  )

  app.patch(
    '/users/:id',
    {
      schema: {
        tags,
        summary:
          'Change a role or ban; banning revokes the sessions and closes the sockets. 409 SELF_CHANGE for banning or demoting oneself, 409 LAST_ADMIN when no admin who is not banned would remain',
        params: IdParams,
        body: AdminUserPatch,
        response: { 200: Type.Object({ user: OwnUser }), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => ({
      user: await accounts.adminUpdate(request.auth.userId, request.params.id, request.body),
    }),
  )
}

export default routes
