// Accounts: registration by invitation, login, profiles, VIP, two-factor, roles and bans.
// Framework-free: callers pass plain values and get views or AppErrors.

import { type AuditService, userRef } from '../audit/audit.ts'
import { enforceLimit } from '../enforce-limit.ts'
import type { Ephemeral } from '../ephemeral/ephemeral.ts'
import { AppError, notFound } from '../errors.ts'
import { newId } from '../ids.ts'
import type { Limiter } from '../limits/limits.ts'
import type { Logger } from '../logger.ts'
import type { AdminUserPatch, LoginBody, OwnUser, ProfilePatch, RegisterBody } from '../schemas/users.ts'
import { DELETED_NAME } from '../store/leave-store.ts'
import { nameKeys } from '../store/name-key.ts'
import type { CodeRecord, Role, UserRecord } from '../store/records.ts'
import type { Store } from '../store/store.ts'
import type { CodeService } from './codes.ts'
import { checkDisplayName, cleanDisplayName, nameTaken } from './display-name.ts'
import type { LoginContext, LoginThrottle } from './login-throttle.ts'
import type { PasswordHasher } from './passwords.ts'
import type { SecretBox } from './secret-box.ts'
import type { SessionService } from './sessions.ts'
import { checkTotp, newTotpSecret, totpUri } from './totp.ts'
import { toOwnUser } from './views.ts'

export interface Signed {
  user: OwnUser
  userId: string
  sessionId: string
}

export interface AccountLimits {
  login: LoginThrottle
  registerByIp: Limiter
}

const usernameTaken = () => new AppError(409, 'USERNAME_TAKEN', 'That username is taken')
const badCredentials = () => new AppError(401, 'BAD_CREDENTIALS', 'Wrong username or password')
const wrongPassword = () => new AppError(400, 'BAD_CREDENTIALS', 'The current password is wrong')
const badTotp = (status = 401) => new AppError(status, 'BAD_TOTP', 'That two-factor code is not valid')
export const lastAdmin = () =>
  new AppError(409, 'LAST_ADMIN', 'There must always be at least one admin who is not banned')

const newUser = (
  username: string,
  passwordHash: string,
  role: Role,
  displayName?: string,
  invitation?: CodeRecord,
): UserRecord => ({
  id: newId(),
  username,
  displayName: displayName ?? username,
  bio: '',
  role,
  passwordHash,
  theme: { mode: 'system' },
  vipExpiresAt: null,
  totpSecret: null,
  totpPending: null,
  banned: false,
  createdAt: new Date(),
  avatar: null,
  invitedBy: invitation ? (invitation.heldBy ?? invitation.createdBy) : null,
  inviteCode: invitation?.id ?? null,
  mutedUntil: null,
})

/** Where the user's own view (`me`) comes from: the rooms feature keeps it exact on every instance. */
export interface OwnViews {
  own(userId: string): Promise<{ user: UserRecord; rooms: string[]; blocked: string[] } | null>
}

export interface AccountDeps {
  store: Store
  ownViews: OwnViews
  passwords: PasswordHasher
  sessions: SessionService
  codes: CodeService
  /** Role changes and bans are logged. */
  audit: AuditService
  /** Used TOTP codes and the addresses where users signed in. */
  ephemeral: Ephemeral
  limits: AccountLimits
  /** Seals TOTP secrets at rest. */
  box: SecretBox
  log: Logger
}

const DELETED_NAME_KEYS = nameKeys(DELETED_NAME)

export class AccountService {
  private readonly store: Store
  private readonly ownViews: OwnViews
  private readonly passwords: PasswordHasher
  private readonly sessions: SessionService
  private readonly codes: CodeService
  private readonly audit: AuditService
  private readonly ephemeral: Ephemeral
  private readonly limits: AccountLimits
  private readonly box: SecretBox
  private readonly log: Logger
  /** Own views by the kept record they were built from: they go with it. */
  private readonly meViews = new WeakMap<object, { view: OwnUser; until: number }>()

  constructor(deps: AccountDeps) {
    this.store = deps.store
    this.ownViews = deps.ownViews
    this.passwords = deps.passwords
    this.sessions = deps.sessions
    this.codes = deps.codes
    this.audit = deps.audit
    this.ephemeral = deps.ephemeral
    this.limits = deps.limits
    this.box = deps.box
    this.log = deps.log
  }

  async register(body: RegisterBody, ip: string): Promise<Signed> {
    // The cheap checks first: the limit, the username, the code; argon2 (tens of ms of CPU) last.
    await enforceLimit(this.limits.registerByIp, ip)
    if (await this.store.users.getByUsername(body.username)) throw usernameTaken()
    const displayName = body.displayName === undefined ? undefined : await this.checkName(body.displayName)
    const code = await this.codes.redeem(body.inviteCode, 'invite')
    try {
      // The bootstrap code makes the first admin, and only while there is none.
      if (code.grantsAdmin && (await this.store.users.countAdmins()) > 0) {
        throw new AppError(400, 'INVALID_CODE', 'That code is unknown, used up, expired or revoked')
      }
      const passwordHash = await this.passwords.hash(body.password)
      const user = newUser(
        body.username,
        passwordHash,
        code.grantsAdmin ? 'admin' : 'user',
        displayName,
        code,
      )
      // A name confusable with another user's is refused as an exact copy is.
      const created = await this.store.users.create(user)
      if (created === 'taken') throw usernameTaken()
      if (created === 'name-taken') throw nameTaken()
      return await this.signIn(user)
    } catch (err) {
      // Someone took the username meanwhile, or the hash failed: the code stays usable.
      if (!(err instanceof AppError && err.code === 'INVALID_CODE')) await this.codes.release(code)
      throw err
    }
  }

  async login(body: LoginBody, ctx: LoginContext): Promise<Signed> {
    const found = await this.store.users.getByUsername(body.username)
    // A deleted account answers as an unknown one: its username stays taken, nothing else of it.
    const user = found?.deleted ? null : found
    await this.limits.login.before(body.username, user?.id, ctx)
    const ok = user
      ? await this.passwords.verify(user.passwordHash, body.password)
      : await this.passwords.verifyDummy(body.password)
    // A bot has no password (its hash is empty, so `ok` is false already): it signs in with its
    // token only, and is told so exactly as a wrong password is.
    if (!user || !ok || user.kind === 'bot') {
      await this.limits.login.failed(body.username, ctx)
      throw badCredentials()
    }
    if (user.banned) throw new AppError(403, 'BANNED', 'This account is banned')
    if (user.totpSecret) {
      if (!body.totp) throw new AppError(401, 'TOTP_REQUIRED', 'Enter the code from your authenticator app')
      if (!(await checkTotp(this.ephemeral, user.id, this.box.open(user.totpSecret), body.totp))) {
        await this.limits.login.failed(body.username, ctx)
        throw badTotp()
      }
      // A secret stored in plain text before encryption at rest is sealed on its next use.
      if (!this.box.isSealed(user.totpSecret))
        await this.store.users.update(user.id, { totpSecret: this.box.seal(this.box.open(user.totpSecret)) })
    }
    await this.limits.login.succeeded(body.username, user.id, ctx)
    return this.signIn(user)
  }

  logout(userId: string, sessionId: string): Promise<void> {
    return this.sessions.revoke(sessionId, userId)
  }

  /**
   * The user's own view. While the kept record and rooms are the same objects (the rooms feature
   * replaces them on any change), the same view object comes back, so a caller may keep what it
   * derives from it (the route keeps the serialised answer) keyed by the view. A view is rebuilt
   * once its VIP state would flip with time.
   */
  async me(userId: string): Promise<OwnUser> {
    const own = await this.ownViews.own(userId)
    if (!own) throw new AppError(401, 'UNAUTHENTICATED', 'Authentication required')
    const now = Date.now()
    const kept = this.meViews.get(own)
    if (kept && now < kept.until) return kept.view
    const view = toOwnUser(own.user, own.rooms, own.blocked, new Date(now))
    const expires = own.user.vipExpiresAt?.getTime()
    this.meViews.set(own, {
      view,
      until: expires !== undefined && expires > now ? expires : Number.POSITIVE_INFINITY,
    })
    return view
  }

  async updateProfile(userId: string, patch: ProfilePatch): Promise<OwnUser> {
    if (patch.displayName !== undefined)
      patch = { ...patch, displayName: await this.checkName(patch.displayName, userId) }
    const user = await this.store.users.update(userId, patch)
    if (!user) throw notFound('User')
    if (user === 'name-taken') throw nameTaken()
    return this.view(user)
  }

  /** 400 BAD_CREDENTIALS for a wrong current password, throttled as login failures are. */
  async changePassword(
    userId: string,
    sessionId: string,
    current: string,
    next: string,
    ctx: LoginContext,
  ): Promise<void> {
    const user = await this.require(userId)
    await this.confirmPassword(user, current, ctx)
    await this.store.users.update(userId, { passwordHash: await this.passwords.hash(next) })
    await this.sessions.revokeAll(userId, sessionId)
  }

  /**
   * Both factors asked again before something that cannot be undone (deleting the account): the
   * password as `changePassword` checks it, then with two-factor on a current code (400
   * TOTP_REQUIRED without one, 400 BAD_TOTP when wrong), each failure counted as a failed login.
   */
  async confirmIdentity(
    userId: string,
    password: string,
    code: string | undefined,
    ctx: LoginContext,
  ): Promise<UserRecord> {
    const user = await this.require(userId)
    await this.confirmPassword(user, password, ctx)
    if (user.totpSecret) {
      if (!code) throw new AppError(400, 'TOTP_REQUIRED', 'Two-factor is on: give a current code')
      await this.confirmCode(user, this.box.open(user.totpSecret), code, ctx)
    }
    return user
  }

  async redeemVip(userId: string, plainCode: string): Promise<OwnUser> {
    await this.require(userId)
    const code = await this.codes.redeem(plainCode, 'activation')
    const user = await this.store.users.extendVip(userId, code.vipDays ?? 0, new Date())
    if (!user) throw notFound('User')
    return this.view(user)
  }

  /**
   * Starts setting up two-factor. The current password is asked first (as a password change asks
   * it), so a stolen session alone cannot put an authenticator of its own on the account and lock
   * the owner out. With two-factor already on, replacing it also needs a valid code of the current
   * secret (`currentCode`).
   */
  async totpSetup(
    userId: string,
    password: string,
    ctx: LoginContext,
    currentCode?: string,
  ): Promise<{ secret: string; otpauthUrl: string }> {
    const user = await this.require(userId)
    await this.confirmPassword(user, password, ctx)
    if (user.totpSecret) {
      if (!currentCode)
        throw new AppError(400, 'TOTP_REQUIRED', 'Two-factor is on: give a current code to replace it')
      await this.confirmCode(user, this.box.open(user.totpSecret), currentCode, ctx)
    }
    const secret = newTotpSecret()
    await this.store.users.update(userId, { totpPending: this.box.seal(secret) })
    return { secret, otpauthUrl: totpUri(user.username, secret) }
  }

  /** Turns on the pending secret: the current password and a code of that secret. */
  async totpEnable(userId: string, code: string, password: string, ctx: LoginContext): Promise<void> {
    const user = await this.require(userId)
    await this.confirmPassword(user, password, ctx)
    const pending = user.totpPending && this.box.open(user.totpPending)
    if (!pending) throw badTotp(400)
    await this.confirmCode(user, pending, code, ctx)
    await this.store.users.update(userId, { totpSecret: this.box.seal(pending), totpPending: null })
  }

  /**
   * Turns two-factor off: the current password and a current code, both factors, so neither a
   * stolen session with the authenticator nor one with the password alone can remove it.
   */
  async totpDisable(userId: string, code: string, password: string, ctx: LoginContext): Promise<void> {
    const user = await this.require(userId)
    await this.confirmPassword(user, password, ctx)
    if (!user.totpSecret) throw badTotp(400)
    await this.confirmCode(user, this.box.open(user.totpSecret), code, ctx)
    await this.store.users.update(userId, { totpSecret: null, totpPending: null })
  }

  /**
   * Role and ban changes. An admin cannot ban or demote themselves, and there is always at least
   * one admin who is not banned: a change that leaves none is undone (checked after the write, so
   * two admins demoting each other at once cannot both succeed).
   */
  async adminUpdate(actorId: string, userId: string, patch: AdminUserPatch): Promise<OwnUser> {
    if (actorId === userId && (patch.banned === true || patch.role === 'user'))
      throw new AppError(409, 'SELF_CHANGE', 'Admins cannot ban or demote themselves')
    const before = await this.store.users.get(userId)
    if (!before) throw notFound('User')
    if (before.kind === 'bot' && patch.role === 'admin')
      throw new AppError(403, 'BOT_ACCOUNT', 'A bot cannot be an admin')
    const removesAdmin =
      before.role === 'admin' && !before.banned && (patch.role === 'user' || patch.banned === true)
    if (removesAdmin && (await this.store.users.countAdmins()) <= 1) throw lastAdmin()
    const user = await this.store.users.update(userId, patch)
    if (!user) throw notFound('User')
    if (user === 'name-taken') throw nameTaken() // no name in an admin's patch: never
    if (removesAdmin && (await this.store.users.countAdmins()) === 0) {
      await this.store.users.update(userId, { role: before.role, banned: before.banned })
      throw lastAdmin()
    }
    if (patch.banned) await this.sessions.revokeAll(userId)
    this.log.info({ actorId, userId, patch }, 'admin changed a user')
    // After the change, one entry for each thing that changed.
    if (patch.role !== undefined && patch.role !== before.role)
      await this.audit.record(actorId, 'user.role', userRef(user), { from: before.role, to: patch.role })
    if (patch.banned !== undefined && patch.banned !== before.banned)
      await this.audit.record(actorId, patch.banned ? 'user.ban' : 'user.unban', userRef(user))
    return this.view(user)
  }

  /** The user, or 401: a token can outlive its user only if the store lost it. */
  async require(userId: string): Promise<UserRecord> {
    const user = await this.store.users.get(userId)
    if (!user || user.deleted) throw new AppError(401, 'UNAUTHENTICATED', 'Authentication required')
    return user
  }

  /**
   * Makes sure the deployment has an admin: ADMIN_USERNAME/ADMIN_PASSWORD create (or promote)
   * one; without them, a store with no admin gets a single-use bootstrap invite code to print.
   */
  async ensureAdmin(
    username?: string,
    password?: string,
  ): Promise<{ created?: string; bootstrapCode?: string }> {
    if ((await this.store.users.countAdmins()) > 0) return {}
    if (username && password) {
      const existing = await this.store.users.getByUsername(username)
      if (existing) {
        await this.store.users.update(existing.id, { role: 'admin' })
        return { created: existing.username }
      }
      // 'taken': another instance starting at the same moment created it first, unless the
      // name is confusable with another user's, which no admin may take either.
      const created = await this.store.users.create(
        newUser(username, await this.passwords.hash(password), 'admin'),
      )
      if (created !== 'created' && !(await this.store.users.getByUsername(username)))
        throw new Error(`ADMIN_USERNAME "${username}" is confusable with another user's name: choose another`)
      return { created: username }
    }
    // One bootstrap code at a time: a restart's new code revokes the ones printed before.
    const revoked = await this.codes.revokeBootstrapCodes()
    if (revoked > 0) this.log.info({ revoked }, 'earlier bootstrap codes revoked')
    const [code] = await this.codes.mint('invite', {
      count: 1,
      grantsAdmin: true,
      expiresInDays: 7,
      createdBy: null,
    })
    return { bootstrapCode: code!.code }
  }

  /**
   * The cleaned display name, or 400 (empty, too long) or 409 (another user's username: the
   * store refuses the confusable ones, and other users' display names, when it writes).
   */
  private async checkName(raw: string, userId?: string): Promise<string> {
    const name = cleanDisplayName(raw)
    checkDisplayName(name)
    // The name every deleted account shows is no one else's to take.
    if (nameKeys(name).some((k) => DELETED_NAME_KEYS.includes(k))) throw nameTaken()
    const owner = await this.store.users.getByUsername(name)
    if (owner && owner.id !== userId) throw nameTaken()
    return name
  }

  /**
   * The password asked again by a signed-in user: 400 BAD_CREDENTIALS when wrong. Through the
   * login throttle, under the user's username, so guesses here and at login share one budget and
   * a stolen token cannot try passwords faster here than a stranger can at the login form.
   */
  private async confirmPassword(user: UserRecord, password: string, ctx: LoginContext): Promise<void> {
    await this.limits.login.before(user.username, user.id, ctx)
    if (!(await this.passwords.verify(user.passwordHash, password))) {
      await this.limits.login.failed(user.username, ctx)
      throw wrongPassword()
    }
  }

  /** A code of `secret` (used once): 400 BAD_TOTP when wrong, counted as a failure like a password. */
  private async confirmCode(
    user: UserRecord,
    secret: string,
    code: string,
    ctx: LoginContext,
  ): Promise<void> {
    if (await checkTotp(this.ephemeral, user.id, secret, code)) return
    await this.limits.login.failed(user.username, ctx)
    throw badTotp(400)
  }

  private async signIn(user: UserRecord): Promise<Signed> {
    const session = await this.sessions.create(user.id)
    return { user: await this.view(user), userId: user.id, sessionId: session.id }
  }

  private async view(user: UserRecord): Promise<OwnUser> {
    const [rooms, blocked] = await Promise.all([
      this.store.rooms.roomsOf(user.id),
      this.store.blocks.list(user.id),
    ])
    return toOwnUser(user, rooms, blocked)
  }
}
