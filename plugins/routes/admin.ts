import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { AuditEntry, AuditQuery } from '../../src/schemas/audit.ts'
import {
  ActivationCodesBody,
  CodesQuery,
  CodeView,
  InviteCodesBody,
  NewCode,
} from '../../src/schemas/codes.ts'
import { errors, IdParams, Page } from '../../src/schemas/common.ts'
import { UsersQuery } from '../../src/schemas/directory.ts'
import {
  FreezeAnswer,
  FreezeBody,
  InviteesAnswer,
  InviteesParams,
  InviteesQuery,
} from '../../src/schemas/lineage.ts'
import { AdminUserPatch, AdminUserView, OwnUser } from '../../src/schemas/users.ts'

const Minted = Type.Object({ codes: Type.Array(NewCode) })

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { codes, accounts, audit, directory, lineage, freezes } = app.core
  const tags = ['admin']
  app.addHook('preHandler', app.requireAdmin)

  app.post(
    '/invite-codes',
    {
      schema: {
        operationId: 'mintInviteCodes',
        tags,
        summary:
          'Mint invitation codes; the plain codes are shown only in this answer. With `for`, on behalf of a member to hand out: their invitees count as invited by them',
        body: InviteCodesBody,
        response: { 201: Minted, ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND') },
      },
    },
    async (request, reply) => {
      const { count, maxUses, expiresInDays } = request.body
      const minted = await codes.mint('invite', {
        count,
        maxUses,
        expiresInDays,
        createdBy: request.auth.userId,
        heldBy: request.body.for ?? null,
      })
      return reply.code(201).send({ codes: minted })
    },
  )

  app.post(
    '/activation-codes',
    {
      schema: {
        operationId: 'mintActivationCodes',
        tags,
        summary: 'Mint VIP activation codes; the plain codes are shown only in this answer',
        body: ActivationCodesBody,
        response: { 201: Minted, ...errors('UNAUTHENTICATED', 'FORBIDDEN') },
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
        operationId: 'listCodes',
        tags,
        summary: 'Codes, newest first, without the plain code',
        querystring: CodesQuery,
        response: { 200: Page(CodeView), ...errors('UNAUTHENTICATED', 'FORBIDDEN') },
      },
    },
    async (request) => codes.list(request.query),
  )

  app.delete(
    '/codes/:id',
    {
      schema: {
        operationId: 'revokeCode',
        tags,
        summary: 'Revoke a code',
        params: IdParams,
        response: { 204: Type.Null(), ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND') },
      },
    },
    async (request, reply) => {
      await codes.revoke(request.params.id, request.auth.userId)
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/users',
    {
      schema: {
        operationId: 'listUsersForAdmin',
        tags,
        summary: 'The user directory as an admin sees it: each user also says whether the account is banned',
        querystring: UsersQuery,
        response: { 200: Page(AdminUserView), ...errors('UNAUTHENTICATED', 'FORBIDDEN') },
      },
    },
    async (request) => directory.listForAdmin(request.query),
  )

  app.patch(
    '/users/:id',
    {
      schema: {
        operationId: 'updateUser',
        tags,
        summary:
          'Change a role or ban; banning revokes the sessions and closes the sockets. 409 SELF_CHANGE for banning or demoting oneself, 409 LAST_ADMIN when no admin who is not banned would remain',
        params: IdParams,
        body: AdminUserPatch,
        response: {
          200: Type.Object({ user: OwnUser }),
          ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'BOT_ACCOUNT', 'NOT_FOUND', 'SELF_CHANGE', 'LAST_ADMIN'),
        },
      },
    },
    async (request) => ({
      user: await accounts.adminUpdate(request.auth.userId, request.params.id, request.body),
    }),
  )

  app.get(
    '/users/:id/invitees',
    {
      schema: {
        operationId: 'listInvitees',
        tags,
        summary:
          'Who joined with the codes this user (and those they invited, and so on, `depth` levels) handed out; at most 5,000 users (`truncated`)',
        params: InviteesParams,
        querystring: InviteesQuery,
        response: {
          200: InviteesAnswer,
          ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'VALIDATION'),
        },
      },
    },
    async (request) => lineage.invitees(request.params.id, request.query.depth ?? 1),
  )

  app.post(
    '/users/:id/freeze',
    {
      schema: {
        operationId: 'freezeUser',
        tags,
        summary:
          'Ban the user (or with `minutes`, mute them in every room), with `subtree` everyone below them in the invitation tree too, with `revokeCodes` their usable codes revoked; one audit entry. Admins below the root are skipped; 409 SELF_CHANGE for oneself, 409 LAST_ADMIN for the last admin who is not banned',
        params: IdParams,
        body: FreezeBody,
        response: {
          200: FreezeAnswer,
          ...errors('UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'VALIDATION', 'SELF_CHANGE', 'LAST_ADMIN'),
        },
      },
    },
    async (request) => freezes.freeze(request.auth.userId, request.params.id, request.body ?? {}),
  )

  app.get(
    '/audit',
    {
      schema: {
        operationId: 'listAudit',
        tags,
        summary:
          'The audit log, newest first: every action of an admin or a room creator on someone else. Read only: no route changes or removes an entry',
        querystring: AuditQuery,
        response: { 200: Page(AuditEntry), ...errors('UNAUTHENTICATED', 'FORBIDDEN') },
      },
    },
    async (request) => audit.list(request.query),
  )
}

export default routes
