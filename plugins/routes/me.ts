import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { type Static, Type } from 'typebox'
import { errors } from '../../src/schemas/common.ts'
import { DeleteAccountBody, ExportZip } from '../../src/schemas/leave.ts'
import { UnreadItem } from '../../src/schemas/rooms.ts'
import { UserIdParams } from '../../src/schemas/safety.ts'
import { CodeBody, OwnUser, PasswordChange, ProfilePatch } from '../../src/schemas/users.ts'

const UserAnswer = Type.Object({ user: OwnUser })
const JSON_UTF8 = 'application/json; charset=utf-8'

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { accounts, chat, blocks, leave, exports } = app.core
  const tags = ['me']
  app.addHook('preHandler', app.authenticate)
  // `GET /api/me` answers serialised once per own view: `accounts.me` hands back the same view
  // object until something about the user changes (then a new one), and most calls are page loads
  // asking again. Weakly held, so they go with the views.
  const answers = new WeakMap<OwnUser, Buffer>()

  app.get(
    '',
    {
      schema: {
        operationId: 'getMe',
        tags,
        summary: 'Everything the index page and the personal centre show',
        response: { 200: UserAnswer, ...errors('UNAUTHENTICATED') },
      },
    },
    async (request, reply) => {
      const user = await accounts.me(request.auth.userId)
      let body = answers.get(user)
      if (body === undefined) {
        body = Buffer.from(String(reply.serialize({ user })))
        answers.set(user, body)
      }
      // Bytes already in the route's schema: Fastify sends a Buffer as it is.
      return reply.type(JSON_UTF8).send(body as unknown as Static<typeof UserAnswer>)
    },
  )

  app.get(
    '/unread',
    {
      schema: {
        operationId: 'getUnread',
        tags,
        summary: 'My rooms with unread messages or mentions, from seqs and read markers',
        response: { 200: Type.Object({ items: Type.Array(UnreadItem) }), ...errors('UNAUTHENTICATED') },
      },
    },
    async (request) => chat.unread(request.auth.userId),
  )

  app.patch(
    '',
    {
      schema: {
        operationId: 'updateMe',
        tags,
        summary: 'Change the display name, bio or theme',
        body: ProfilePatch,
        response: { 200: UserAnswer, ...errors('UNAUTHENTICATED', 'NAME_TAKEN') },
      },
    },
    async (request) => ({ user: await accounts.updateProfile(request.auth.userId, request.body) }),
  )

  app.post(
    '/password',
    {
      schema: {
        operationId: 'changePassword',
        tags,
        summary:
          'Change the password; every other session is revoked. Wrong `currentPassword`s count as failed logins (429 past the login limits)',
        body: PasswordChange,
        response: {
          204: Type.Null(),
          ...errors('UNAUTHENTICATED', ['BAD_CREDENTIALS', 400], 'RATE_LIMITED'),
        },
      },
    },
    async (request, reply) => {
      const { currentPassword, newPassword } = request.body
      await accounts.changePassword(
        request.auth.userId,
        request.auth.sessionId,
        currentPassword,
        newPassword,
        {
          ip: request.ip,
          deviceUserId: app.deviceUserFrom(request),
        },
      )
      return reply.code(204).send(null)
    },
  )

  app.delete(
    '',
    {
      schema: {
        operationId: 'deleteAccount',
        tags,
        summary:
          'Delete my account: sessions revoked everywhere, files, avatar and wall posts removed, memberships left, shown as "deleted user" from now on; the username is never given to anyone else. With `eraseMessages` every message I sent becomes a deletion event in its room. Needs the password (and a current code with two-factor on); wrong ones count as failed logins',
        body: DeleteAccountBody,
        response: {
          204: Type.Null(),
          ...errors(
            'UNAUTHENTICATED',
            'VALIDATION',
            ['BAD_CREDENTIALS', 400],
            ['TOTP_REQUIRED', 400],
            ['BAD_TOTP', 400],
            'LAST_ADMIN',
            'RATE_LIMITED',
          ),
        },
      },
    },
    async (request, reply) => {
      await leave.deleteAccount(request.auth.userId, request.body, {
        ip: request.ip,
        deviceUserId: app.deviceUserFrom(request),
      })
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/export',
    {
      schema: {
        operationId: 'exportAccount',
        tags,
        summary:
          'Download everything of mine as a zip (an attachment): profile, sessions, rooms, messages, direct conversations, wall posts and my files. RATE_EXPORTS_PER_DAY per day',
        response: {
          200: {
            description: 'The zip, streamed as it is made',
            content: { 'application/zip': { schema: ExportZip } },
          },
          ...errors('UNAUTHENTICATED', 'RATE_LIMITED'),
        },
      },
    },
    async (request, typed) => {
      // A stream, past what the typed reply can say.
      const reply = typed as unknown as FastifyReply
      const { filename, stream } = await exports.archive(request.auth.userId, request.auth.sessionId)
      return reply
        .type('application/zip')
        .header('content-disposition', `attachment; filename="${filename}"`)
        .header('cache-control', 'no-store')
        .send(stream)
    },
  )

  app.put(
    '/blocks/:userId',
    {
      schema: {
        operationId: 'blockUser',
        tags,
        summary:
          'Block a user (idempotent): no direct room between us can be opened or written to by either of us, and their mentions and replies notify me of nothing',
        params: UserIdParams,
        response: {
          204: Type.Null(),
          ...errors('UNAUTHENTICATED', 'VALIDATION', 'NOT_FOUND', 'TOO_MANY_BLOCKS'),
        },
      },
    },
    async (request, reply) => {
      await blocks.block(request.auth.userId, request.params.userId)
      return reply.code(204).send(null)
    },
  )

  app.delete(
    '/blocks/:userId',
    {
      schema: {
        operationId: 'unblockUser',
        tags,
        summary: 'Unblock a user (idempotent)',
        params: UserIdParams,
        response: { 204: Type.Null(), ...errors('UNAUTHENTICATED') },
      },
    },
    async (request, reply) => {
      await blocks.unblock(request.auth.userId, request.params.userId)
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/vip',
    {
      schema: {
        operationId: 'redeemVip',
        tags,
        summary: 'Redeem an activation code: VIP until max(now, expiry) + vipDays',
        body: CodeBody,
        response: { 200: UserAnswer, ...errors('UNAUTHENTICATED', 'INVALID_CODE') },
      },
    },
    async (request) => ({ user: await accounts.redeemVip(request.auth.userId, request.body.code) }),
  )
}

export default routes
