// ChatHttp's routes of the signed-in user: signing in and out, two-factor, the own profile, the
// directory of users and the walls; and the options of a socket authenticated the same way.
import { enc, HttpBase } from './http-base.ts'
import type { ChatSocketOptions } from './socket-types.ts'
import type {
  AuthAnswer,
  DeleteAccountBody,
  LoginBody,
  Message,
  OwnUser,
  PageOf,
  PasswordChange,
  Post,
  ProfilePatch,
  PublicUser,
  RegisterBody,
  TotpConfirmBody,
  TotpSetup,
  TotpSetupBody,
  UsersQuery,
  WallQuery,
  WsTicket,
} from './wire.ts'

export class AccountRoutes extends HttpBase {
  /**
   * Options for a ChatSocket next to this API, authenticated as this client is: with a token
   * (cross-site, native), a fresh ticket before every connect; with the cookie (same-site), the
   * cookie. Either way a connection refused before it opened is checked against GET /api/me, so
   * a session that is gone ends the socket (state 'unauthenticated') instead of redialling.
   */
  socketOptions(): Pick<ChatSocketOptions, 'url' | 'getTicket' | 'checkSession' | 'history'> {
    return {
      url: () => this.wsUrl(),
      // A replay the server bounded is read from history, as many messages a page as it gives.
      history: (room, after) =>
        this.request<PageOf<Message>>('GET', `/api/rooms/${enc(room)}/messages`, undefined, {
          query: { after, limit: 200 },
        }),
      ...(this.token ? { getTicket: async () => (await this.wsTicket()).ticket } : {}),
      checkSession: async () => {
        await this.me()
      },
    }
  }

  // ------------------------------------------------------------------ signing in

  async register(body: RegisterBody): Promise<AuthAnswer> {
    const answer = await this.request<AuthAnswer>('POST', '/api/auth/register', body)
    this.keep(answer.token)
    return answer
  }

  /** 401 BAD_CREDENTIALS, TOTP_REQUIRED (send `totp`), BAD_TOTP; 403 BANNED; 429 RATE_LIMITED. */
  async login(body: LoginBody): Promise<AuthAnswer> {
    const answer = await this.request<AuthAnswer>('POST', '/api/auth/login', body)
    this.keep(answer.token)
    return answer
  }

  /** With `auth: 'cookie'` the token stays out of script: the cookie carries the session. */
  protected keep(token: string): void {
    if (this.transport.auth === 'bearer') this.token = token
  }

  /** Revokes this session everywhere (its sockets close with 4001) and clears the cookie. */
  async logout(): Promise<void> {
    await this.request<null>('POST', '/api/auth/logout')
    this.token = undefined
  }

  /** A single-use ticket for `/ws?ticket=` (30 s). */
  wsTicket(): Promise<WsTicket> {
    return this.request<WsTicket>('POST', '/api/auth/ws-ticket')
  }

  /**
   * Starts two-factor setup: show `otpauthUrl` as a QR code, then enableTotp with a code from the
   * app. Needs the current `password` (400 BAD_CREDENTIALS when wrong; wrong ones count as failed
   * logins: 429 RATE_LIMITED past the login limits); with two-factor already on, also a current
   * `code` (400 TOTP_REQUIRED without it, BAD_TOTP when wrong).
   */
  totpSetup(body: TotpSetupBody): Promise<TotpSetup> {
    return this.request<TotpSetup>('POST', '/api/auth/totp/setup', body)
  }

  /**
   * Turns on the secret of the last setup: a `code` from the app and the current `password`.
   * 400 BAD_TOTP or BAD_CREDENTIALS; 429 RATE_LIMITED.
   */
  async enableTotp(body: TotpConfirmBody): Promise<void> {
    await this.request<null>('POST', '/api/auth/totp/enable', body)
  }

  /** Turns two-factor off: a current `code` and the current `password`, as enableTotp. */
  async disableTotp(body: TotpConfirmBody): Promise<void> {
    await this.request<null>('POST', '/api/auth/totp/disable', body)
  }

  // ------------------------------------------------------------------ me

  /** Who is signed in, or null without a live session: never a 401 (a page's first question). */
  async session(): Promise<OwnUser | null> {
    return (await this.request<{ user: OwnUser | null }>('GET', '/api/auth/session')).user
  }

  async me(): Promise<OwnUser> {
    return (await this.request<{ user: OwnUser }>('GET', '/api/me')).user
  }

  async updateMe(patch: ProfilePatch): Promise<OwnUser> {
    return (await this.request<{ user: OwnUser }>('PATCH', '/api/me', patch)).user
  }

  /**
   * Every other session of the user is revoked; this one stays. 400 BAD_CREDENTIALS for a wrong
   * `currentPassword`, counted as a failed login (429 RATE_LIMITED past the login limits).
   */
  async changePassword(body: PasswordChange): Promise<void> {
    await this.request<null>('POST', '/api/me/password', body)
  }

  /**
   * Deletes the signed-in account for good: every session revoked (sockets close with 4001),
   * files, avatar and wall posts removed, shown as "deleted user" from then on; the username is
   * never given to anyone else. `eraseMessages` also deletes every message sent. Needs the
   * password (400 BAD_CREDENTIALS, counted as a failed login) and with two-factor on a current
   * `totp` (400 TOTP_REQUIRED, BAD_TOTP); 409 LAST_ADMIN for the last admin. Get exportData()
   * first to keep a copy.
   */
  async deleteAccount(body: DeleteAccountBody): Promise<void> {
    await this.request<null>('DELETE', '/api/me', body)
    this.token = undefined
  }

  /** Redeems an activation code: VIP extended. 400 INVALID_CODE. */
  async redeemVip(code: string): Promise<OwnUser> {
    return (await this.request<{ user: OwnUser }>('POST', '/api/me/vip', { code })).user
  }

  // ------------------------------------------------------------------ directory

  users(query: UsersQuery = {}): Promise<PageOf<PublicUser>> {
    return this.request<PageOf<PublicUser>>('GET', '/api/users', undefined, { query })
  }

  async user(id: string): Promise<PublicUser> {
    return (await this.request<{ user: PublicUser }>('GET', `/api/users/${enc(id)}`)).user
  }

  // ------------------------------------------------------------------ walls

  /** A wall, newest first: 'home' for the home page's, else a user id. */
  wall(wall: 'home' | string, query: WallQuery = {}): Promise<PageOf<Post>> {
    const path = wall === 'home' ? '/api/posts' : `/api/users/${enc(wall)}/posts`
    return this.request<PageOf<Post>>('GET', path, undefined, { query })
  }

  /** Posts on a wall: 'home' or a user id. 1..2000 code points. */
  async post(wall: 'home' | string, text: string): Promise<Post> {
    const path = wall === 'home' ? '/api/posts' : `/api/users/${enc(wall)}/posts`
    return (await this.request<{ post: Post }>('POST', path, { text })).post
  }

  /** Its author, the owner of its wall or an admin; else 403 FORBIDDEN. */
  async deletePost(id: string): Promise<void> {
    await this.request<null>('DELETE', `/api/posts/${enc(id)}`)
  }
}
