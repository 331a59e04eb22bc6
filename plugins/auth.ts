// Who is calling: a JWT naming the user and the session, from the `token` cookie or a Bearer
// header, checked against the session's liveness (cached per instance, revoked over the bus).
// Cookie-authenticated unsafe requests from a foreign Origin are refused (CSRF).
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Signed } from '../src/accounts/accounts.ts'
import { AppError, unauthenticated } from '../src/errors.ts'
import { originChecker } from '../src/origin.ts'

export interface Auth {
  userId: string
  sessionId: string
  viaCookie: boolean
}

interface TokenPayload {
  sub: string
  sid: string
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: Auth
  }
  interface FastifyInstance {
    /** preHandler: 401 unless the request carries a live session; sets `request.auth`. */
    authenticate(request: FastifyRequest): Promise<void>
    /** preHandler: `authenticate`, then 403 unless the user is an admin. */
    requireAdmin(request: FastifyRequest): Promise<void>
    /** Resolves a token to its live session, or null. Used by the socket gateway too. */
    resolveToken(token: string): Promise<Auth | null>
    /** Signs the session's token and sets the cookie; returns the token for the body. */
    issueToken(request: FastifyRequest, reply: FastifyReply, signed: Signed): string
    clearToken(reply: FastifyReply): void
    tokenFrom(request: FastifyRequest): { token: string; viaCookie: boolean } | null
    isAllowedOrigin(request: FastifyRequest): boolean
  }
}

export const COOKIE = 'token'
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export default fp(
  async (app) => {
    const { sessions, accounts, config } = app.core
    const allowedOrigin = originChecker(config)
    const ttlSeconds = config.SESSION_TTL_DAYS * 86_400

    app.decorateRequest('auth', null as unknown as Auth)

    app.decorate('tokenFrom', (request: FastifyRequest) => {
      const header = request.headers.authorization
      if (header?.startsWith('Bearer ')) return { token: header.slice(7).trim(), viaCookie: false }
      const cookie = request.cookies[COOKIE]
      return cookie ? { token: cookie, viaCookie: true } : null
    })

    // Called where a foreign Origin is refused (cookie-authenticated unsafe requests, upgrades):
    // the log says which origin and which setting would allow it.
    app.decorate('isAllowedOrigin', (request: FastifyRequest) => {
      const origin = request.headers.origin
      if (origin === undefined || allowedOrigin(origin, request.headers.host, request.protocol)) return true
      request.log.warn(
        { origin, setting: 'PUBLIC_ORIGINS' },
        `Origin ${origin} refused (403 BAD_ORIGIN): add it to PUBLIC_ORIGINS to let it use the cookie and open sockets`,
      )
      return false
    })

    app.decorate('resolveToken', async (token: string): Promise<Auth | null> => {
      let payload: TokenPayload
      try {
        payload = app.jwt.verify<TokenPayload>(token)
      } catch {
        return null
      }
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') return null
      if (!(await sessions.isLive(payload.sid, payload.sub))) return null
      return { userId: payload.sub, sessionId: payload.sid, viaCookie: false }
    })

    app.decorate('authenticate', async (request: FastifyRequest) => {
      const found = app.tokenFrom(request)
      if (!found) throw unauthenticated()
      const auth = await app.resolveToken(found.token)
      if (!auth) throw unauthenticated('Session expired or revoked; sign in again')
      if (found.viaCookie && UNSAFE.has(request.method) && !app.isAllowedOrigin(request)) {
        throw new AppError(403, 'BAD_ORIGIN', 'Cross-site request refused')
      }
      request.auth = { ...auth, viaCookie: found.viaCookie }
    })

    app.decorate('requireAdmin', async (request: FastifyRequest) => {
      await app.authenticate(request)
      const user = await accounts.require(request.auth.userId)
      if (user.role !== 'admin') throw new AppError(403, 'FORBIDDEN', 'Admins only')
    })

    /** The cookie's attributes: clearing it needs the same ones (a SameSite=None cookie needs Secure). */
    const cookieOptions = (request: FastifyRequest) => ({
      path: '/',
      httpOnly: true,
      sameSite: config.COOKIE_SAMESITE,
      secure: config.COOKIE_SECURE ?? request.protocol === 'https',
    })

    app.decorate('issueToken', (request: FastifyRequest, reply: FastifyReply, signed: Signed) => {
      const token = app.jwt.sign({ sub: signed.userId, sid: signed.sessionId }, { expiresIn: ttlSeconds })
      reply.setCookie(COOKIE, token, { ...cookieOptions(request), maxAge: ttlSeconds })
      return token
    })

    app.decorate('clearToken', (reply: FastifyReply) => {
      reply.clearCookie(COOKIE, cookieOptions(reply.request))
    })
  },
  { name: 'auth', dependencies: ['core', '@fastify/jwt', '@fastify/cookie'] },
)
