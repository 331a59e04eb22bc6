import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { CodesQuery, CodeView, MemberCodesBody, NewCode } from '../../src/schemas/codes.ts'
import { errors, Page } from '../../src/schemas/common.ts'

// A member's own invite codes, under /api/me.
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { lineage } = app.core
  const tags = ['me']
  app.addHook('preHandler', app.authenticate)

  app.post(
    '/invite-codes',
    {
      schema: {
        operationId: 'mintMyInviteCodes',
        tags,
        summary:
          'Mint invite codes of my own to hand out (one use each; the plain codes are shown only in this answer); MEMBER_INVITES_PER_DAY per day, 0: off (403 INVITES_DISABLED)',
        body: MemberCodesBody,
        response: {
          201: Type.Object({ codes: Type.Array(NewCode) }),
          ...errors('UNAUTHENTICATED', 'INVITES_DISABLED', 'BANNED', 'MUTED', 'RATE_LIMITED'),
        },
      },
    },
    async (request, reply) =>
      reply.code(201).send({ codes: await lineage.mintOwn(request.auth.userId, request.body?.count ?? 1) }),
  )

  app.get(
    '/invite-codes',
    {
      schema: {
        operationId: 'listMyInviteCodes',
        tags,
        summary: 'The invite codes I hold (mine, and those an admin minted for me), newest first',
        querystring: CodesQuery,
        response: { 200: Page(CodeView), ...errors('UNAUTHENTICATED') },
      },
    },
    async (request) => lineage.listOwn(request.auth.userId, request.query),
  )
}

export default routes
