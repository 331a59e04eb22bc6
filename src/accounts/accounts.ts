// Accounts: registration by invitation, login, profiles, VIP, two-factor, roles and bans.
// Framework-free: callers pass plain values and get views or AppErrors.

import type { Ephemeral } from '../ephemeral/ephemeral.ts'
import { AppError, notFound } from '../errors.ts'
import { newId } from '../ids.ts'
import type { Limiter } from '../limits/limits.ts'
import type { AdminUserPatch, LoginBody, OwnUser, ProfilePatch, RegisterBody } from '../schemas/users.ts'
import type { Role, UserRecord } from '../store/records.ts'
import type { Store } from '../store/store.ts'
import type { CodeService } from './codes.ts'
import type { PasswordHasher } from './passwords.ts'
import type { SessionService } from './sessions.ts'
import { checkTotp, newTotpSecret, totpUri } from './totp.ts'
import { toOwnUser } from './views.ts'

export interface Signed {
  user: OwnUser
  userId: string
  sessionId: string
}

export interface AccountLimits {
  loginByIp: Limiter
  loginByUser: Limiter
  registerByIp: Limiter
}

const badCredentials = () => new AppError(401, 'BAD_CREDENTIALS', 'Wrong username or password')
const badTotp = (status = 401) => new AppError(status, 'BAD_TOTP', 'That two-factor code is not valid')

const newUser = (username: string, passwordHash: string, role: Role, displayName?: string): UserRecord => ({
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
})

export class AccountService {
  /** The rooms a user belongs to, for the own view; the rooms feature plugs itself in here. */
  roomsOf: (userId: string) => Promise<string[]> = async () => []
  /** The user's record and rooms for `me`; the rooms feature plugs in a per-instance copy kept exact. */
  own: (userId: string) => Promise<{ user: UserRecord; rooms: string[] } | null> = async (userId) => {
    const user = await this.store.users.get(userId)
    return user && { user, rooms: await this.roomsOf(userId) }
  }

  constructor(
    private readonly store: Store,
    private readonly passwords: PasswordHasher,
    private readonly sessions: SessionService,
    private readonly codes: CodeService,
    private readonly ephemeral: Ephemeral,
    private readonly limits: AccountLimits,
  ) {}

  async register(body: RegisterBody, ip: string): Promise<Signed> {
    await this.limits.registerByIp.consume(ip)
    if (await this.store.users.getByUsername(body.username)) {
      throw new AppError(409, 'USERNAME_TAKEN', 'That username is taken')
    }
    const passwordHash = await this.passwords.hash(body.password)
    const code = await this.codes.redeem(body.inviteCode, 'invite')
    // The bootstrap code makes the first admin, and only while there is none.
    if (code.grantsAdmin && (await this.store.users.countAdmins()) > 0) {
      throw new AppError(400, 'INVALID_CODE', 'That code is unknown, used up, expired or revoked')
    }
    const user = newUser(body.username, passwordHash, code.grantsAdmin ? 'admin' : 'user', body.displayName)
    try {
      await this.store.users.create(user)
    } catch (err) {
      await this.codes.release(code) // someone took the username meanwhile: the code stays usable
      throw err
    }
    return this.signIn(user)
  }

  async login(body: LoginBody, ip: string): Promise<Signed> {
    const userKey = body.username.toLowerCase()
    await this.limits.loginByIp.consume(ip)
    await this.limits.loginByUser.consume(userKey)
    const user = await this.store.users.getByUsername(body.username)
    const ok = user
      ? await this.passwords.verify(user.passwordHash, body.password)
      : await this.passwords.verifyDummy(body.password)
    if (!user || !ok) throw badCredentials()
    if (user.banned) throw new AppError(403, 'BANNED', 'This account is banned')
    if (user.totpSecret) {
      if (!body.totp) throw new AppError(401, 'TOTP_REQUIRED', 'Enter the code from your authenticator app')
      if (!(await checkTotp(this.ephemeral, user.id, user.totpSecret, body.totp))) throw badTotp()
    }
    await this.limits.loginByUser.reset(userKey)
    return this.signIn(user)
  }

  logout(userId: string, sessionId: string): Promise<void> {
    return this.sessions.revoke(sessionId, userId)
  }

  async me(userId: string): Promise<OwnUser> {
    const own = await this.own(userId)
    if (!own) throw new AppError(401, 'UNAUTHENTICATED', 'Authentication required')
    return toOwnUser(own.user, own.rooms)
  }

  async updateProfile(userId: string, patch: ProfilePatch): Promise<OwnUser> {
    const user = await this.store.users.update(userId, patch)
    if (!user) throw notFound('User')
    return this.view(user)
  }

  async changePassword(userId: string, sessionId: string, current: string, next: string): Promise<void> {
    const user = await this.require(userId)
    if (!(await this.passwords.verify(user.passwordHash, current))) {
      throw new AppError(400, 'BAD_CREDENTIALS', 'The current password is wrong')
    }
    await this.store.users.update(userId, { passwordHash: await this.passwords.hash(next) })
    await this.sessions.revokeAll(userId, sessionId)
  }

  async redeemVip(userId: string, plainCode: string): Promise<OwnUser> {
    await this.require(userId)
    const code = await this.codes.redeem(plainCode, 'activation')
    const user = await this.store.users.extendVip(userId, code.vipDays ?? 0, new Date())
    if (!user) throw notFound('User')
    return this.view(user)
  }

  async totpSetup(userId: string): Promise<{ secret: string; otpauthUrl: string }> {
    const user = await this.require(userId)
    const secret = newTotpSecret()
    await this.store.users.update(userId, { totpPending: secret })
    return { secret, otpauthUrl: totpUri(user.username, secret) }
  }

  async totpEnable(userId: string, code: string): Promise<void> {
    const user = await this.require(userId)
    if (!user.totpPending || !(await checkTotp(this.ephemeral, userId, user.totpPending, code)))
      throw badTotp(400)
    await this.store.users.update(userId, { totpSecret: user.totpPending, totpPending: null })
  }

  async totpDisable(userId: string, code: string): Promise<void> {
    const user = await this.require(userId)
    if (!user.totpSecret || !(await checkTotp(this.ephemeral, userId, user.totpSecret, code)))
      throw badTotp(400)
    await this.store.users.update(userId, { totpSecret: null, totpPending: null })
  }

  async adminUpdate(userId: string, patch: AdminUserPatch): Promise<OwnUser> {
    const user = await this.store.users.update(userId, patch)
    if (!user) throw notFound('User')
    if (patch.banned) await this.sessions.revokeAll(userId)
    return this.view(user)
  }

  /** The user, or 401: a token can outlive its user only if the store lost it. */
  async require(userId: string): Promise<UserRecord> {
    const user = await this.store.users.get(userId)
    if (!user) throw new AppError(401, 'UNAUTHENTICATED', 'Authentication required')
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
      const user = newUser(username, await this.passwords.hash(password), 'admin')
      try {
        await this.store.users.create(user)
      } catch (err) {
        // Another instance starting at the same moment created it first.
        if (!(err instanceof AppError && err.code === 'USERNAME_TAKEN')) throw err
      }
      return { created: username }
    }
    const [code] = await this.codes.mint('invite', {
      count: 1,
      grantsAdmin: true,
      expiresInDays: 7,
      createdBy: null,
    })
    return { bootstrapCode: code!.code }
  }

  private async signIn(user: UserRecord): Promise<Signed> {
    const session = await this.sessions.create(user.id)
    return { user: await this.view(user), userId: user.id, sessionId: session.id }
  }

  private async view(user: UserRecord): Promise<OwnUser> {
    return toOwnUser(user, await this.roomsOf(user.id))
  }
}
