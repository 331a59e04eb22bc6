// ChatHttp's admin routes: invite and activation codes, users' roles and bans, the audit log,
// bot accounts and their tokens, outgoing integrations.
import { enc } from './http-base.ts'
import { FileRoutes } from './http-files.ts'
import type {
  ActivationCodesBody,
  AdminUserPatch,
  AdminUserView,
  AuditEntry,
  AuditQuery,
  BotCreated,
  CodesQuery,
  CodeView,
  CreateBotBody,
  Integration,
  IntegrationBody,
  IntegrationDetail,
  InviteCodesBody,
  NewCode,
  OwnUser,
  PageOf,
  PublicUser,
  UsersQuery,
} from './wire.ts'

export class AdminRoutes extends FileRoutes {
  // ------------------------------------------------------------------ admin

  async mintInviteCodes(body: InviteCodesBody): Promise<NewCode[]> {
    return (await this.request<{ codes: NewCode[] }>('POST', '/api/admin/invite-codes', body)).codes
  }

  async mintActivationCodes(body: ActivationCodesBody): Promise<NewCode[]> {
    return (await this.request<{ codes: NewCode[] }>('POST', '/api/admin/activation-codes', body)).codes
  }

  /** Codes without their plain text, filtered by type and status. */
  codes(query: CodesQuery = {}): Promise<PageOf<CodeView>> {
    return this.request<PageOf<CodeView>>('GET', '/api/admin/codes', undefined, { query })
  }

  async revokeCode(id: string): Promise<void> {
    await this.request<null>('DELETE', `/api/admin/codes/${enc(id)}`)
  }

  /** The user directory as an admin sees it: each user also says whether the account is banned. */
  adminUsers(query: UsersQuery = {}): Promise<PageOf<AdminUserView>> {
    return this.request<PageOf<AdminUserView>>('GET', '/api/admin/users', undefined, { query })
  }

  /** Sets a user's role or ban; a ban revokes their sessions and closes their sockets. */
  async updateUser(id: string, patch: AdminUserPatch): Promise<OwnUser> {
    return (await this.request<{ user: OwnUser }>('PATCH', `/api/admin/users/${enc(id)}`, patch)).user
  }

  /**
   * The audit log, newest first (admins only): every action of an admin or a room's creator on
   * someone else, filtered by `actor`, `action` or `target` (a user's or room's id). Read only.
   */
  audit(query: AuditQuery = {}): Promise<PageOf<AuditEntry>> {
    return this.request<PageOf<AuditEntry>>('GET', '/api/admin/audit', undefined, { query })
  }

  // ------------------------------------------------------------------ bots

  /**
   * A bot account and its token, shown only in this answer: the bot's program passes it as
   * `token` to its own ChatHttp (it is sent as `Authorization: Bearer`, on the socket too).
   */
  createBot(body: CreateBotBody): Promise<BotCreated> {
    return this.request<BotCreated>('POST', '/api/admin/bots', body)
  }

  /** Every bot account, oldest first. */
  async bots(): Promise<PublicUser[]> {
    return (await this.request<{ items: PublicUser[] }>('GET', '/api/admin/bots')).items
  }

  /** A new token for the bot; the old one is refused on every instance at once and its sockets close. */
  async rotateBotToken(botId: string): Promise<string> {
    return (await this.request<{ token: string }>('DELETE', `/api/admin/bots/${enc(botId)}/token`)).token
  }

  // ------------------------------------------------------------------ integrations

  /**
   * Sends every event of the rooms to `url`, signed with `secret` (HMAC-SHA256 in
   * `X-Roomchat-Signature`), from each room's next event on. The secret is never shown again.
   */
  async createIntegration(body: IntegrationBody): Promise<Integration> {
    return (await this.request<{ integration: Integration }>('POST', '/api/admin/integrations', body))
      .integration
  }

  /** Every outgoing integration, oldest first. */
  async integrations(): Promise<Integration[]> {
    return (await this.request<{ items: Integration[] }>('GET', '/api/admin/integrations')).items
  }

  /** An integration and, per room, how far delivery got and its last error. */
  integration(id: string): Promise<IntegrationDetail> {
    return this.request<IntegrationDetail>('GET', `/api/admin/integrations/${enc(id)}`)
  }

  async deleteIntegration(id: string): Promise<void> {
    await this.request<null>('DELETE', `/api/admin/integrations/${enc(id)}`)
  }
}
