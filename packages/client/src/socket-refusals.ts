// When the server refuses a ChatSocket's session or origin, rather than the network failing:
// from how a connection ended, or from the failure of a ticket fetch or a session check. A
// refusal is final (state `refused`); anything else is dialled again.
import { ApiError, ChatError, ClientCodes } from './errors.ts'
import type { SocketLinkEnd } from './socket-link.ts'
import type { RefusedInfo } from './socket-types.ts'
import { CloseCode } from './wire.ts'

export interface Refusal {
  reason: RefusedInfo['reason']
  error: ChatError
}

/** The refusal a connection's end says, or null (closed 4001, or 401/403 at the upgrade). */
export function endRefusal(end: SocketLinkEnd): Refusal | null {
  if (end.code === CloseCode.REVOKED)
    return {
      reason: 'revoked',
      error: new ChatError(ClientCodes.REVOKED, end.reason || 'the sign-in was revoked'),
    }
  if (!end.opened && end.status === 401)
    return {
      reason: 'unauthenticated',
      error: new ChatError('UNAUTHENTICATED', 'the upgrade was refused: 401'),
    }
  if (!end.opened && end.status === 403)
    return { reason: 'forbidden', error: new ChatError('BAD_ORIGIN', 'the upgrade was refused: 403') }
  return null
}

/** Whether a failure of the ticket or the session check is the server refusing the session. */
export function refusalOf(err: unknown): RefusedInfo['reason'] | null {
  if (!(err instanceof ChatError)) return null
  if (err.code === 'BANNED' || err.code === 'BAD_ORIGIN') return 'forbidden'
  if (err.code === 'UNAUTHENTICATED' || (err instanceof ApiError && err.status === 401))
    return 'unauthenticated'
  return null
}

/**
 * The refusal of a session check (asked when the platform does not say why a connection
 * failed), or null when the session holds or the check failed for another reason.
 */
export function sessionRefusal(check: Promise<unknown>): Promise<Refusal | null> {
  return check.then(
    () => null,
    (err: unknown) => {
      const reason = refusalOf(err)
      // refusalOf only answers for a ChatError.
      return reason ? { reason, error: err as ChatError } : null
    },
  )
}
