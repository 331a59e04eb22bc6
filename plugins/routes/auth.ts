import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { errors } from '../../src/schemas/common.ts'
import type { ErrorCode } from '../../src/schemas/error-codes.ts'
import {
  AuthAnswer,
  LoginBody,
  RegisterBody,
  SessionAnswer,
  TotpConfirmBody,
  TotpSetup,
  TotpSetupBody,
  WsTicket,
} from '../../src/schemas/users.ts'

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { accounts, tickets } = app.core
  const tags = ['auth']
  const signInContext = (request: FastifyRequest) => ({
    ip: request.ip,
    deviceUserId: app.deviceUserFrom(request),
  })

  app.post(
    '/register',
    {
      schema: {
        operationId: 'register',
        tags,
        summary: 'Sign up with an invitation code',
        security: [],
        body: RegisterBody,
        response: {
          201: AuthAnswer,
          ...errors('INVALID_CODE', 'USERNAME_TAKEN', 'NAME_TAKEN', 'RATE_LIMITED'),
        },
      },
    },
    async (request, reply) => {
      const signed = await accounts.register(request.body, request.ip)
      return reply.code(201).send({ user: signed.user, token: app.issueToken(request, reply, signed) })
    },
  )

  app.post(
    '/login',
    {
      schema: {
        operationId: 'login',
        tags,
        summary: 'Sign in; sets the token cookie and returns the token for Bearer use',
        security: [],
        body: LoginBody,
        response: {
          200: AuthAnswer,
          ...errors('BAD_CREDENTIALS', 'TOTP_REQUIRED', 'BAD_TOTP', 'BANNED', 'RATE_LIMITED'),
        },
      },
    },
    async (request, reply) => {
      const signed = await accounts.login(request.body, signInContext(request))
      app.setDeviceCookie(reply, request, signed.userId)
      return { user: signed.user, token: app.issueToken(request, reply, signed) }
    },
  )

  // The first question a page load asks: answered 200 with `user: null` for a visit without a
  // live session, so a signed-out visit is not an error (GET /api/me answers 401 for it).
  app.get(
    '/session',
    {
      schema: {
        operationId: 'getSession',
        tags,
        summary: 'The signed-in user, or `user: null` without a live session (never 401)',
        security: [],
        response: { 200: SessionAnswer },
      },
    },
    async (request) => {
      const found = app.tokenFrom(request)
      const auth = found ? await app.resolveToken(found.token) : null
      if (!auth) return { user: null }
      // A session whose user is gone is no session either.
      return { user: await accounts.me(auth.userId).catch(() => null) }
    },
  )

  app.post(
    '/logout',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'logout',
        tags,
        summary: 'Revoke this session on every instance',
        response: { 204: Type.Null(), ...errors('UNAUTHENTICATED') },
      },
    },
    async (request, reply) => {
      await accounts.logout(request.auth.userId, request.auth.sessionId)
      app.clearToken(reply)
      return reply.code(204).send(null)
    },
  )

  // Each two-factor change asks for the current password as `POST /api/me/password` does: the
  // same answer when it is wrong (400 BAD_CREDENTIALS) and the same throttle (the login's).
  const reauth: (ErrorCode | [ErrorCode, number])[] = [
    'UNAUTHENTICATED',
    ['BAD_CREDENTIALS', 400],
    ['BAD_TOTP', 400],
    'RATE_LIMITED',
  ]

  app.post(
    '/totp/setup',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'totpSetup',
        tags,
        summary:
          'Start two-factor setup (inactive until enabled); needs the current `password`. With two-factor on, `code` (a current one) is required too: 400 TOTP_REQUIRED without it, BAD_TOTP when wrong',
        body: TotpSetupBody,
        response: { 200: TotpSetup, ...errors(...reauth, ['TOTP_REQUIRED', 400]) },
      },
    },
    async (request) =>
      accounts.totpSetup(
        request.auth.userId,
        request.body.password,
        signInContext(request),
        request.body.code,
      ),
  )

  app.post(
    '/totp/enable',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'enableTotp',
        tags,
        summary: 'Enable two-factor login with a code of the pending secret and the current `password`',
        body: TotpConfirmBody,
        response: { 204: Type.Null(), ...errors(...reauth) },
      },
    },
    async (request, reply) => {
      const { code, password } = request.body
      await accounts.totpEnable(request.auth.userId, code, password, signInContext(request))
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/totp/disable',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'disableTotp',
        tags,
        summary: 'Disable two-factor login with a current code and the current `password`',
        body: TotpConfirmBody,
        response: { 204: Type.Null(), ...errors(...reauth) },
      },
    },
    async (request, reply) => {
      const { code, password } = request.body
      await accounts.totpDisable(request.auth.userId, code, password, signInContext(request))
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/ws-ticket',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'wsTicket',
        tags,
        summary: 'A single-use, 30-second ticket for /ws?ticket= (for a socket from another origin)',
        response: { 200: WsTicket, ...errors('UNAUTHENTICATED', 'RATE_LIMITED') },
      },
    },
    async (request) => tickets.issue(request.auth),
  )
}

export default routes
