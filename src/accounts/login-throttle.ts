// Login throttling that an attacker cannot aim at a victim (OWASP's authentication cheat sheet,
// rate-limiter-flexible's "login endpoint protection" pattern):
// - attempts per client address (every attempt, before any argon2 work);
// - failures per (username, address): that pair waits, nobody else does;
// - failures per username from anywhere, a softer bound: past it, only a known device (a signed
//   cookie from an earlier sign-in) or a known address (where the user signed in before) may
//   still try, so a flood of guesses from elsewhere does not lock the owner out.
// Lockouts are logged when they start, with their end.
import { enforceLimit } from '../enforce-limit.ts'
import type { Ephemeral } from '../ephemeral/ephemeral.ts'
import { rateLimited } from '../errors.ts'
import type { Limiter } from '../limits/limits.ts'
import type { Logger } from '../logger.ts'

/** How long an address where a user signed in stays known for that user. */
const KNOWN_ADDRESS_DAYS = 30

export interface LoginLimits {
  /** Every attempt, per client address. */
  byIp: Limiter
  /** Failures per `username|address`. */
  byUserIp: Limiter
  /** Failures per username, from any address. */
  byUser: Limiter
}

export interface LoginContext {
  ip: string
  /** The user id a valid device cookie names, if the client sent one. */
  deviceUserId?: string
}

export class LoginThrottle {
  constructor(
    private readonly limits: LoginLimits,
    private readonly ephemeral: Ephemeral,
    private readonly log: Logger,
  ) {}

  /** Throws 429 unless this attempt may go on to the password check. */
  async before(username: string, userId: string | undefined, ctx: LoginContext): Promise<void> {
    const name = username.toLowerCase()
    await enforceLimit(this.limits.byIp, ctx.ip)
    const pairWait = await this.limits.byUserIp.wait(pairKey(name, ctx.ip))
    if (pairWait > 0) throw rateLimited(pairWait)
    const userWait = await this.limits.byUser.wait(name)
    if (userWait > 0 && !(userId && (await this.isKnown(userId, ctx)))) throw rateLimited(userWait)
  }

  /** A wrong password or two-factor code. */
  async failed(username: string, ctx: LoginContext): Promise<void> {
    const name = username.toLowerCase()
    const [pair, user] = await Promise.all([
      this.limits.byUserIp.count(pairKey(name, ctx.ip)),
      this.limits.byUser.count(name),
    ])
    if (pair.crossed) this.lockout('username and address', name, ctx.ip, pair.retryAfter)
    if (user.crossed)
      this.lockout('username, for unknown devices and addresses', name, ctx.ip, user.retryAfter)
  }

  /** A sign-in: the pair's failures are forgotten and the address becomes known for the user. */
  async succeeded(username: string, userId: string, ctx: LoginContext): Promise<void> {
    await Promise.all([
      this.limits.byUserIp.reset(pairKey(username.toLowerCase(), ctx.ip)),
      this.ephemeral.put(knownKey(userId, ctx.ip), '1', KNOWN_ADDRESS_DAYS * 86_400),
    ])
  }

  private async isKnown(userId: string, ctx: LoginContext): Promise<boolean> {
    if (ctx.deviceUserId === userId) return true
    return (await this.ephemeral.get(knownKey(userId, ctx.ip))) !== null
  }

  private lockout(scope: string, username: string, ip: string, seconds: number): void {
    const until = new Date(Date.now() + seconds * 1000).toISOString()
    this.log.warn({ username, ip, until }, `login lockout (${scope}) until ${until}`)
  }
}

const pairKey = (username: string, ip: string) => `${username}|${ip}`
const knownKey = (userId: string, ip: string) => `known-ip:${userId}:${ip}`
