// Who is calling: a JWT naming the user and the session, from the `token` cookie or a Bearer
// header, checked against the session's liveness (cached per instance, revoked over the bus).
// A bot's token (`rcb_…`, src/bots/bots.ts) names a session too, checked the same way.
// Cookie-authenticated unsafe requests from a foreign Origin are refused (CSRF).
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Signed } from '../src/accounts/accounts.ts'
import { BotService } from '../src/bots/bots.ts'
import { AppError, unauthenticated } from '../src/errors.ts'
import { originChecker } from '../src/http/origin.ts'

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
    authenticate(request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void
    /** preHandler: `authenticate`, then 403 unless the user is an admin. */
    requireAdmin(request: FastifyRequest, reply: FastifyReply): Promise<void>
    /** Resolves a token to its live session, or null. Used by the socket gateway too. */
    resolveToken(token: string): Promise<Auth | null>
    /** Signs the session's token and sets the cookie; returns the token for the body. */
    issueToken(request: FastifyRequest, reply: FastifyReply, signed: Signed): string
    clearToken(reply: FastifyReply): void
    /** The user a valid device cookie names (set at an earlier sign-in on this browser), if any. */
    deviceUserFrom(request: FastifyRequest): string | undefined
    /** Marks this browser as a known device of the user, for the login throttle. */
    setDeviceCookie(reply: FastifyReply, request: FastifyRequest, userId: string): void
    tokenFrom(request: FastifyRequest): { token: string; viaCookie: boolean } | null
    isAllowedOrigin(request: FastifyRequest): boolean
  }
}

export const COOKIE = 'token'
/** A signed `{dev: userId}` kept a year: lets the owner sign in while the username is under attack. */
export const DEVICE_COOKIE = 'device'
const DEVICE_DAYS = 365
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export default fp(
  async (app) => {
    const { sessions, accounts, config, bots } = app.core
    const allowedOrigin = originChecker(config)
    const ttlSeconds = config.SESSION_TTL_DAYS * 86_400

    app.decorateRequest('auth', null as unknown as Auth)

    /** A cookie of the request: the Cookie header is parsed on first use (see the cookie plugin). */
    const cookieOf = (request: FastifyRequest, name: string): string | undefined => {
      if (request.cookies === null) {
        const header = request.headers.cookie
        request.cookies = header ? app.parseCookie(header) : {}
      }
      return request.cookies[name]
    }

    app.decorate('tokenFrom', (request: FastifyRequest) => {
      const header = request.headers.authorization
      if (header?.startsWith('Bearer ')) return { token: header.slice(7).trim(), viaCookie: false }
      const cookie = cookieOf(request, COOKIE)
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

    /** The token's user and session when its signature and expiry hold, else null. */
    const claims = (token: string): TokenPayload | null => {
      let payload: TokenPayload
      try {
        payload = app.jwt.verify<TokenPayload>(token)
      } catch {
        return null
      }
      return typeof payload.sub === 'string' && typeof payload.sid === 'string' ? payload : null
    }

    app.decorate('resolveToken', async (token: string): Promise<Auth | null> => {
      if (BotService.isBotToken(token)) {
        const bot = await bots.resolve(token)
        return bot ? { ...bot, viaCookie: false } : null
      }
      const payload = claims(token)
      if (!payload || !(await sessions.isLive(payload.sid, payload.sub))) return null
      return { userId: payload.sub, sessionId: payload.sid, viaCookie: false }
    })

    // A callback hook rather than an async one: when this instance knows the session (nearly
    // always: see SessionService), the request goes on in the same turn, without the promises
    // and microtask turns an async hook costs each authenticated request.
    const expired = () => unauthenticated('Session expired or revoked; sign in again')
    app.decorate(
      'authenticate',
      (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
        const found = app.tokenFrom(request)
        if (!found) return done(unauthenticated())
        const settleAs = (holder: { userId: string; sessionId: string } | null) => {
          if (!holder) return done(expired())
          if (found.viaCookie && UNSAFE.has(request.method) && !app.isAllowedOrigin(request)) {
            return done(new AppError(403, 'BAD_ORIGIN', 'Cross-site request refused'))
          }
          request.auth = { userId: holder.userId, sessionId: holder.sessionId, viaCookie: found.viaCookie }
          done()
        }
        if (BotService.isBotToken(found.token)) {
          const known = bots.known(found.token)
          if (known !== undefined) settleAs(known)
          else bots.resolve(found.token).then(settleAs, done)
          return
        }
        const payload = claims(found.token)
        if (!payload) return done(expired())
        const holder = { userId: payload.sub, sessionId: payload.sid }
        const settle = (live: boolean) => settleAs(live ? holder : null)
        const known = sessions.knownLive(payload.sid, payload.sub)
        if (known !== undefined) settle(known)
        else sessions.isLive(payload.sid, payload.sub).then(settle, done)
      },
    )

    app.decorate('requireAdmin', async (request: FastifyRequest, reply: FastifyReply) => {
      await new Promise<void>((resolve, reject) =>
        app.authenticate(request, reply, (err) => (err ? reject(err) : resolve())),
      )
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

    app.decorate('deviceUserFrom', (request: FastifyRequest) => {
      const cookie = cookieOf(request, DEVICE_COOKIE)
      if (!cookie) return undefined
      try {
        const { dev } = app.jwt.verify<{ dev?: unknown }>(cookie)
        return typeof dev === 'string' ? dev : undefined
      } catch {
        return undefined
      }
    })

    app.decorate('setDeviceCookie', (reply: FastifyReply, request: FastifyRequest, userId: string) => {
      reply.setCookie(DEVICE_COOKIE, app.jwt.sign({ dev: userId }, { expiresIn: DEVICE_DAYS * 86_400 }), {
        path: '/api/auth',
        httpOnly: true,
        sameSite: 'strict',
        secure: request.protocol === 'https',
        maxAge: DEVICE_DAYS * 86_400,
      })
    })
  },
  { name: 'auth', dependencies: ['core', '@fastify/jwt', '@fastify/cookie'] },
)
