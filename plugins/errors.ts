// The one error handler: every failure leaves as {statusCode, code, error, message}.
// 4xx keep their message; a 5xx never shows its internals.

import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { AppError, type ErrorCode } from '../src/errors.ts'

const codeByStatus: Record<number, ErrorCode> = {
  400: 'VALIDATION',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'VALIDATION',
  406: 'VALIDATION',
  408: 'TIMEOUT',
  409: 'CONFLICT',
  413: 'TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  416: 'RANGE_NOT_SATISFIABLE',
  429: 'RATE_LIMITED',
  503: 'UNAVAILABLE',
}

export const errorBody = (statusCode: number, code: string, message: string) => ({
  statusCode,
  code,
  error: STATUS_CODES[statusCode] ?? 'Error',
  message,
})

/** Errors Fastify raises before routing (a malformed or overlong URL), in the contract's shape. */
export const frameworkErrors = (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
  const [status, code, message]: [number, ErrorCode, string] =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? [414, 'URI_TOO_LONG', 'A path parameter is too long']
      : err.code === 'FST_ERR_BAD_URL'
        ? [400, 'VALIDATION', 'The URL is malformed']
        : [500, 'INTERNAL', STATUS_CODES[500]!]
  if (status >= 500) request.log.error({ err }, 'request failed')
  else request.log.debug({ code: err.code }, message)
  return reply.code(status).send(errorBody(status, code, message))
}

const BAD_PREFLIGHT = 'Invalid Preflight Request'

export default fp(
  async (app) => {
    // @fastify/cors answers a preflight without Origin or Access-Control-Request-Method with a
    // plain-text 400 of its own: the same answer, in the contract's shape. Only OPTIONS routes
    // (the preflight's) carry the hook, so other requests do not pay for it.
    const preflightInContractShape: onSendHookHandler = (_request, reply, payload, done) => {
      if (reply.statusCode !== 400 || payload !== BAD_PREFLIGHT) return done(null, payload)
      reply.type('application/json; charset=utf-8')
      done(
        null,
        JSON.stringify(
          errorBody(400, 'VALIDATION', 'A CORS preflight needs Origin and Access-Control-Request-Method'),
        ),
      )
    }
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method]
      if (!methods.includes('OPTIONS')) return
      const own = route.onSend
      route.onSend =
        own === undefined ? [preflightInContractShape] : [...[own].flat(), preflightInContractShape]
    })
    app.setErrorHandler((err: FastifyError | AppError, request, reply) => {
      if (err instanceof AppError) {
        if (err.statusCode >= 500) request.log.warn({ code: err.code }, err.message)
        if (err.retryAfter) reply.header('retry-after', String(err.retryAfter))
        return reply.code(err.statusCode).send(errorBody(err.statusCode, err.code, err.message))
      }
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500
      if (status >= 500) {
        request.log.error({ err }, 'request failed')
        const code = status === 503 ? 'UNAVAILABLE' : 'INTERNAL'
        return reply.code(status).send(errorBody(status, code, STATUS_CODES[status] ?? 'Server error'))
      }
      return reply.code(status).send(errorBody(status, codeByStatus[status] ?? 'BAD_REQUEST', err.message))
    })
    app.setNotFoundHandler((request, reply) => {
      reply
        .code(404)
        .send(errorBody(404, 'NOT_FOUND', `Route ${request.method} ${request.url.split('?')[0]} not found`))
    })
  },
  { name: 'errors' },
)
