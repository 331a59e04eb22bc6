// The one error handler: every failure leaves as {statusCode, code, error, message}.
// 4xx keep their message; a 5xx never shows its internals.

import { STATUS_CODES } from 'node:http'
import type { FastifyError } from 'fastify'
import fp from 'fastify-plugin'
import { AppError, type ErrorCode } from '../src/errors.ts'

const codeByStatus: Record<number, ErrorCode> = {
  400: 'VALIDATION',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'UNAVAILABLE',
}

export const errorBody = (statusCode: number, code: string, message: string) => ({
  statusCode,
  code,
  error: STATUS_CODES[statusCode] ?? 'Error',
  message,
})

export default fp(
  async (app) => {
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
