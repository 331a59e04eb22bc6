// The one error type the core throws. The HTTP layer turns it into the contract's shape
// {statusCode, code, error, message}; the socket gateway into an `error` frame.

import type { ErrorCode } from './schemas/error-codes.ts'

export type { ErrorCode }

export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    /** Seconds, for RATE_LIMITED. */
    readonly retryAfter?: number,
  ) {
    super(message)
    this.name = 'AppError'
  }
}

export const notFound = (what = 'Resource') => new AppError(404, 'NOT_FOUND', `${what} not found`)
export const forbidden = (message = 'Not allowed') => new AppError(403, 'FORBIDDEN', message)
export const invalid = (message: string) => new AppError(400, 'VALIDATION', message)
export const unauthenticated = (message = 'Authentication required') =>
  new AppError(401, 'UNAUTHENTICATED', message)
export const rateLimited = (retryAfterSeconds: number) =>
  new AppError(429, 'RATE_LIMITED', 'Too many requests, slow down', Math.max(1, Math.ceil(retryAfterSeconds)))
