// Bot accounts: users of kind `bot`, created by an admin, driven by a program through a
// long-lived token (never a password: none is set, so a login as a bot fails as a wrong
// password does; no two-factor, no admin role, no mail address).
//
// A bot's token names a session of its own (src/bots/token.ts): its liveness is any session's,
// cached per instance and revoked over the bus (src/accounts/sessions.ts). A rotation issues a
// new session and token, then revokes the bot's other sessions: every instance refuses the old
// token at once and closes the sockets opened with it, as for a logout.

import { checkDisplayName, cleanDisplayName, nameTaken } from '../accounts/display-name.ts'
import type { SessionService } from '../accounts/sessions.ts'
import { toPublicUser } from '../accounts/views.ts'
import { type AuditService, userRef } from '../audit/audit.ts'
import { AppError, notFound } from '../errors.ts'
import { newId } from '../ids.ts'
import type { BotCreated, CreateBotBody } from '../schemas/bots.ts'
import type { PublicUser } from '../schemas/users.ts'
import type { BotTokenRecord, UserRecord } from '../store/records.ts'
import type { Store } from '../store/store.ts'
import { BOT_TOKEN_PREFIX, botSessionOf, botToken, hashSecret, matches } from './token.ts'

/** A bot's session lives a century: it ends by rotation (or a ban), not by time. */
export const BOT_SESSION_DAYS = 36_500
/** Bot token records kept per instance (they never change: a rotation makes a new session). */
const CACHE_MAX = 10_000

export interface BotHolder {
  userId: string
  sessionId: string
}

export class BotService {
  /** sessionId → its token record. Map order doubles as an LRU; unknown sessions are not kept. */
  private readonly tokens = new Map<string, BotTokenRecord>()

  constructor(
    private readonly store: Store,
    private readonly sessions: SessionService,
    private readonly audit: AuditService,
  ) {}

  /** Whether the string is meant as a bot token (it is then checked here, not as a JWT). */
  static isBotToken(token: string): boolean {
    return token.startsWith(BOT_TOKEN_PREFIX)
  }

  async create(actorId: string, body: CreateBotBody): Promise<BotCreated> {
    const displayName = cleanDisplayName(body.displayName)
    checkDisplayName(displayName)
    if (await this.store.users.getByUsername(body.username))
      throw new AppError(409, 'USERNAME_TAKEN', 'That username is taken')
    const owner = await this.store.users.getByUsername(displayName)
    if (owner) throw nameTaken()
    const bot: UserRecord = {
      id: newId(),
      username: body.username,
      displayName,
      bio: '',
      role: 'user',
      // No password hashes to '': verifying any password against it fails.
      passwordHash: '',
      theme: { mode: 'system' },
      vipExpiresAt: null,
      totpSecret: null,
      totpPending: null,
      banned: false,
      createdAt: new Date(),
      avatar: null,
      kind: 'bot',
    }
    const created = await this.store.users.create(bot)
    if (created === 'taken') throw new AppError(409, 'USERNAME_TAKEN', 'That username is taken')
    if (created === 'name-taken') throw nameTaken()
    const token = await this.issue(bot.id)
    await this.audit.record(actorId, 'bot.create', userRef(bot))
    return { bot: toPublicUser(bot), token }
  }

  /**
   * A new token for the bot; its other tokens stop working on every instance at once and their
   * sockets close. Of two rotations at once, each revokes the other's new token too: rotate again.
   */
  async rotate(actorId: string, botId: string): Promise<{ token: string }> {
    const bot = await this.requireBot(botId)
    const token = await this.issue(bot.id)
    await this.sessions.revokeAll(bot.id, botSessionOf(token)!)
    await this.audit.record(actorId, 'bot.rotate', userRef(bot))
    return { token }
  }

  /** Every bot, oldest first (few: no pages). */
  async list(): Promise<{ items: PublicUser[] }> {
    const ids = await this.store.bots.botIds()
    const users = new Map((await this.store.users.getMany(ids)).map((u) => [u.id, u]))
    return {
      items: ids.flatMap((id) => {
        const u = users.get(id)
        return u && u.kind === 'bot' ? [toPublicUser(u)] : []
      }),
    }
  }

  /** The bot and session a bot token stands for while it is live, else null. */
  async resolve(token: string): Promise<BotHolder | null> {
    const sid = botSessionOf(token)
    if (!sid) return null
    let record = this.tokens.get(sid)
    if (!record) {
      const stored = await this.store.bots.token(sid)
      if (!stored) return null
      record = stored
      this.remember(record)
    }
    if (!matches(token, record.hash)) return null
    return (await this.sessions.isLive(sid, record.userId)) ? { userId: record.userId, sessionId: sid } : null
  }

  /**
   * What this instance already knows of a bot token without waiting: the holder, null when it
   * is refused, undefined when only the store can tell (then call `resolve`).
   */
  known(token: string): BotHolder | null | undefined {
    const sid = botSessionOf(token)
    if (!sid) return null
    const record = this.tokens.get(sid)
    if (!record) return undefined
    if (!matches(token, record.hash)) return null
    const live = this.sessions.knownLive(sid, record.userId)
    if (live === undefined) return undefined
    return live ? { userId: record.userId, sessionId: sid } : null
  }

  private async requireBot(id: string): Promise<UserRecord> {
    const user = await this.store.users.get(id)
    if (user?.kind !== 'bot') throw notFound('Bot')
    return user
  }

  /** A new session of the bot and its token (the session first: a token never names nothing). */
  private async issue(botId: string): Promise<string> {
    const session = await this.sessions.create(botId, BOT_SESSION_DAYS)
    const token = botToken(session.id)
    const record = { sessionId: session.id, userId: botId, hash: hashSecret(token), createdAt: new Date() }
    await this.store.bots.putToken(record)
    this.remember(record)
    return token
  }

  private remember(record: BotTokenRecord): void {
    this.tokens.delete(record.sessionId)
    this.tokens.set(record.sessionId, record)
    if (this.tokens.size > CACHE_MAX) this.tokens.delete(this.tokens.keys().next().value!)
  }
}
