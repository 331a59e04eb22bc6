// A way back in and a mail address: the address and its verification, "forgot my password",
// the reset itself, and the admin's reset link for a community without mail. Tokens are 32
// random bytes, stored only as their SHA-256, single use (the store deletes a token as it is
// used), expiring. The mails with a link are sent from here and never queued: a queued mail
// would keep the token in plain text in the store.
//
// "Forgot" answers the same, at once, whatever the account: the lookup, the token and the mail
// all happen after the answer, so neither the answer nor its timing tells whether an account or
// a verified address exists. A reset revokes every session of the user on every instance.
import { createHash, randomBytes } from 'node:crypto'
import { type AuditService, userRef } from '../audit/audit.ts'
import { enforceLimit } from '../enforce-limit.ts'
import { AppError, notFound } from '../errors.ts'
import type { Limiter } from '../limits/limits.ts'
import type { Logger } from '../logger.ts'
import type { Mail, Mailer } from '../mail/mailer.ts'
import { resetMail, verifyMail } from '../mail/templates.ts'
import type { ForgotBody, ResetLink } from '../schemas/notify.ts'
import type { TokenKind } from '../store/notify-records.ts'
import type { Store } from '../store/store.ts'
import type { PasswordHasher } from './passwords.ts'
import type { SessionService } from './sessions.ts'

const invalidToken = () => new AppError(400, 'INVALID_TOKEN', 'That link is unknown, used or expired')
const mailOff = () => notFound('Mail')

export const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex')

export interface RecoveryOptions {
  /** Where the web app is: the links point at its pages. */
  publicUrl: string
  resetMinutes: number
  verifyHours: number
}

const botRefused = () =>
  new AppError(403, 'BOT_ACCOUNT', 'A bot has no password and no mail address: rotate its token instead')

export class RecoveryService {
  /** Mails being sent after their answer, so that close can wait for them. */
  private readonly sending = new Set<Promise<void>>()

  constructor(
    private readonly store: Store,
    private readonly passwords: PasswordHasher,
    private readonly sessions: SessionService,
    private readonly mailer: Mailer | null,
    private readonly audit: AuditService,
    private readonly forgotByIp: Limiter,
    private readonly options: RecoveryOptions,
    private readonly log: Logger,
  ) {}

  get mailOn(): boolean {
    return this.mailer !== null
  }

  /** Sets the user's address (unverified) and mails a verification link to it. */
  async setEmail(userId: string, email: string): Promise<void> {
    if (!this.mailer) throw mailOff()
    const user = await this.store.users.get(userId)
    if (!user) throw new AppError(401, 'UNAUTHENTICATED', 'Authentication required')
    // A bot signs in with its token only: no address, so no reset by mail.
    if (user.kind === 'bot') throw botRefused()
    if ((await this.store.emails.claim(email, userId)) === 'taken')
      throw new AppError(409, 'EMAIL_TAKEN', 'Another account has this mail address')
    const same = user.email?.toLowerCase() === email.toLowerCase()
    if (user.email && !same) await this.store.emails.release(user.email, userId)
    if (!same || user.email !== email) await this.store.users.update(userId, { email, emailVerified: false })
    else if (user.emailVerified) return
    const token = await this.token('verify', userId, email, this.options.verifyHours * 3600_000)
    const url = `${this.options.publicUrl}/verify-email?token=${encodeURIComponent(token)}`
    this.later(verifyMail(email, user.username, url, this.options.verifyHours))
  }

  async verifyEmail(token: string): Promise<void> {
    if (!this.mailer) throw mailOff()
    const t = await this.store.tokens.consume(tokenHash(token), 'verify', new Date())
    if (!t) throw invalidToken()
    const user = await this.store.users.get(t.userId)
    // A link for an address the user has changed since proves nothing about the new one.
    if (!user || !t.email || user.email?.toLowerCase() !== t.email.toLowerCase()) throw invalidToken()
    await this.store.users.update(user.id, { emailVerified: true })
  }

  /** Answers at once; a reset mail goes to the account's verified address, if there is one. */
  async forgot(body: ForgotBody, ip: string): Promise<void> {
    if (!this.mailer) throw mailOff()
    await enforceLimit(this.forgotByIp, ip)
    const run = (async () => {
      const user =
        'username' in body
          ? await this.store.users.getByUsername(body.username)
          : await this.store.emails.owner(body.email).then((id) => (id ? this.store.users.get(id) : null))
      if (!user || user.banned || !user.email || !user.emailVerified) return
      if ('email' in body && user.email.toLowerCase() !== body.email.toLowerCase()) return
      // One reset link at a time: asking again makes the earlier links worthless.
      await this.store.tokens.removeFor(user.id, 'reset')
      const token = await this.token('reset', user.id, null, this.options.resetMinutes * 60_000)
      await this.mailer!.send(
        resetMail(user.email, user.username, this.resetUrl(token), this.options.resetMinutes),
      )
    })()
    this.track(run.catch((err) => this.log.warn({ err }, 'a password reset mail could not be sent')))
  }

  /** Sets the new password and revokes every session of the user, on every instance. */
  async reset(token: string, password: string): Promise<void> {
    const t = await this.store.tokens.consume(tokenHash(token), 'reset', new Date())
    if (!t) throw invalidToken()
    const user = await this.store.users.get(t.userId)
    if (!user || user.banned || user.kind === 'bot') throw invalidToken()
    await this.store.users.update(user.id, { passwordHash: await this.passwords.hash(password) })
    await this.sessions.revokeAll(user.id)
    this.log.info({ userId: user.id }, 'password reset; every session revoked')
  }

  /** The admin's reset link (audited): the way back in without mail. */
  async adminResetLink(actorId: string, userId: string): Promise<ResetLink> {
    const user = await this.store.users.get(userId)
    if (!user) throw notFound('User')
    if (user.kind === 'bot') throw botRefused()
    const ms = this.options.resetMinutes * 60_000
    const token = await this.token('reset', user.id, null, ms)
    await this.audit.record(actorId, 'user.reset-link', userRef(user), { minutes: this.options.resetMinutes })
    return { url: this.resetUrl(token), expiresAt: new Date(Date.now() + ms).toISOString() }
  }

  /** Waits for the mails still being sent (at shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.sending])
  }

  private resetUrl(token: string): string {
    return `${this.options.publicUrl}/reset-password?token=${encodeURIComponent(token)}`
  }

  private async token(kind: TokenKind, userId: string, email: string | null, ms: number): Promise<string> {
    const token = randomBytes(32).toString('base64url')
    const now = new Date()
    await this.store.tokens.create({
      hash: tokenHash(token),
      kind,
      userId,
      email,
      expiresAt: new Date(now.getTime() + ms),
      createdAt: now,
    })
    return token
  }

  /** Sends after the answer, tried three times. */
  private later(mail: Mail): void {
    const run = (async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.mailer!.send(mail)
        } catch (err) {
          if (attempt >= 3) throw err
          await new Promise((r) => setTimeout(r, 1000 * attempt))
        }
      }
    })()
    this.track(run.catch((err) => this.log.warn({ err }, 'a verification mail could not be sent')))
  }

  private track(p: Promise<void>): void {
    this.sending.add(p)
    void p.finally(() => this.sending.delete(p))
  }
}
