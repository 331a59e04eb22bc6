// Errors the client rejects with: a stable machine `code` (the server's, see ServerCodes, or one
// of the client's own below), the human message, and for HTTP the status and the answer's body.
import type { ServerCode } from './wire.ts'

/** Codes the client itself uses, beside the server's (RATE_LIMITED, NOT_MEMBER, VALIDATION...). */
export const ClientCodes = {
  /** No answer in time (ack, joined). */
  TIMEOUT: 'TIMEOUT',
  /** close() was called, or the client stopped retrying. */
  CLOSED: 'CLOSED',
  /** The server closed with 4001: the sign-in was revoked; sign in again. */
  REVOKED: 'REVOKED',
  /** The network failed, or an HTTP answer that should be JSON is not. */
  NETWORK: 'NETWORK',
  /** The request was aborted through its AbortSignal. */
  ABORTED: 'ABORTED',
} as const
export type ClientCode = (typeof ClientCodes)[keyof typeof ClientCodes]

/** Any code an error of this client may carry: the server's, the client's, or one unknown to this version. */
export type ErrorCodeOf = ServerCode | ClientCode | (string & {})

export class ChatError extends Error {
  override name = 'ChatError'
  constructor(
    readonly code: ErrorCodeOf,
    message: string,
  ) {
    super(message)
  }
}

/** An HTTP answer with status ≥ 400 (status 0: the network failed). */
export class ApiError extends ChatError {
  constructor(
    readonly status: number,
    code: ErrorCodeOf,
    message: string,
    readonly body: unknown,
    /** Seconds to wait, from Retry-After (429, 503). */
    readonly retryAfter: number | null = null,
  ) {
    super(code, message)
    this.name = 'ApiError'
  }
}

/** True when the error means "no valid session": sign in again rather than retry. */
export function isSessionRefused(err: unknown): boolean {
  if (!(err instanceof ChatError)) return false
  if (err.code === ClientCodes.REVOKED || err.code === 'UNAUTHENTICATED' || err.code === 'BANNED') return true
  return err instanceof ApiError && err.status === 401
}

/** Refusals that say "not now" rather than "never". */
const TEMPORARY = new Set<string>([
  'INTERNAL',
  'UNAVAILABLE',
  'RATE_LIMITED',
  ClientCodes.TIMEOUT,
  ClientCodes.NETWORK,
])

/**
 * True when the same request may succeed if tried again after a while (`INTERNAL`,
 * `UNAVAILABLE`, `RATE_LIMITED`, `TIMEOUT`, `NETWORK`); false for a refusal that will stand
 * (`NOT_MEMBER`, `NOT_FOUND`, `VALIDATION`...).
 */
export function isTemporary(err: unknown): boolean {
  return err instanceof ChatError && TEMPORARY.has(err.code)
}

/** The message of anything thrown, for a reason or an error of this client's own. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
