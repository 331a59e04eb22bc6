// WebSocket tickets: for a socket opened from another origin (where the cookie does not go and
// browsers cannot set headers), the SPA trades its session for a random single-use ticket that
// lives 30 seconds, visible to every instance.
import { randomBytes } from 'node:crypto'
import { enforceLimit } from '../enforce-limit.ts'
import type { Ephemeral } from '../ephemeral/ephemeral.ts'
import type { Limiter } from '../limits/limits.ts'

const TTL_SECONDS = 30

export interface TicketHolder {
  userId: string
  sessionId: string
}

export class TicketService {
  /** `perUser`: tickets a user may ask for (each is a stored value until it is used or expires). */
  constructor(
    private readonly ephemeral: Ephemeral,
    private readonly perUser: Limiter,
  ) {}

  /** A ticket for this holder's next socket; 429 RATE_LIMITED past the user's budget. */
  async issue({ userId, sessionId }: TicketHolder): Promise<{ ticket: string; expiresAt: string }> {
    await enforceLimit(this.perUser, userId)
    const ticket = randomBytes(24).toString('base64url')
    await this.ephemeral.put(`ticket:${ticket}`, JSON.stringify({ userId, sessionId }), TTL_SECONDS)
    return { ticket, expiresAt: new Date(Date.now() + TTL_SECONDS * 1000).toISOString() }
  }

  /** The holder, once; null for an unknown, used or expired ticket. */
  async redeem(ticket: string): Promise<TicketHolder | null> {
    if (!/^[A-Za-z0-9_-]{32}$/.test(ticket)) return null
    const raw = await this.ephemeral.take(`ticket:${ticket}`)
    return raw ? (JSON.parse(raw) as TicketHolder) : null
  }
}
