// Errors the client rejects with: a stable machine `code` (the server's, or one of the client's
// own below), the human message, and for HTTP the status and the answer's body.

/** Codes the client itself uses, beside the server's (RATE_LIMITED, NOT_MEMBER, VALIDATION...). */
export const ClientCodes = {
  /** No answer in time (ack, joined). */
  TIMEOUT: 'TIMEOUT',
  /** close() was called, or the client stopped retrying. */
  CLOSED: 'CLOSED',
  /** The server closed with 4001: the sign-in was revoked; sign in again. */
  REVOKED: 'REVOKED',
  /** An HTTP answer that is not JSON, or the network failed. */
  NETWORK: 'NETWORK',
} as const

export class ChatError extends Error {
  override name = 'ChatError'
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export class ApiError extends ChatError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    readonly body: unknown,
  ) {
    super(code, message)
    this.name = 'ApiError'
  }
}
