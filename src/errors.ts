// The one error type the core throws. The HTTP layer turns it into the contract's shape
// {statusCode, code, error, message}; the socket gateway into an `error` frame.

export type ErrorCode =
  | 'VALIDATION'
  | 'NOT_FOUND'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_ORIGIN'
  | 'RATE_LIMITED'
  | 'USERNAME_TAKEN'
  | 'INVALID_CODE'
  | 'BAD_CREDENTIALS'
  | 'TOTP_REQUIRED'
  | 'BAD_TOTP'
  | 'BANNED'
  | 'VIP_REQUIRED'
  | 'ROOM_FULL'
  | 'NOT_MEMBER'
  | 'TOO_LARGE'
  | 'RANGE_NOT_SATISFIABLE'
  | 'CONFLICT'
  | 'LAST_ADMIN'
  | 'SELF_CHANGE'
  | 'NAME_TAKEN'
  | 'TIMEOUT'
  | 'URI_TOO_LONG'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UNAVAILABLE'
  | 'INTERNAL'

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
