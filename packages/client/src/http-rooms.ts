// ChatHttp's routes of rooms: the rooms themselves, membership, history, messages and their
// edits and reactions, read markers, direct rooms, moderation and incoming webhooks.
import { AccountRoutes } from './http-account.ts'
import { enc } from './http-base.ts'
import { newClientMsgId } from './ids.ts'
import type {
  CreateRoomBody,
  HistoryPage,
  HistoryQuery,
  KickBody,
  Member,
  Message,
  PageOf,
  Pin,
  Room,
  RoomsQuery,
  SearchPage,
  SearchQuery,
  UnreadItem,
  Webhook,
  WebhookCreated,
} from './wire.ts'

export class RoomRoutes extends AccountRoutes {
  // ------------------------------------------------------------------ rooms

  /** Needs active VIP, or the admin role (403 VIP_REQUIRED). */
  async createRoom(body: CreateRoomBody): Promise<Room> {
    return (await this.request<{ room: Room }>('POST', '/api/rooms', body)).room
  }

  rooms(query: RoomsQuery = {}): Promise<PageOf<Room>> {
    return this.request<PageOf<Room>>('GET', '/api/rooms', undefined, { query })
  }

  async room(id: string): Promise<Room> {
    return (await this.request<{ room: Room }>('GET', `/api/rooms/${enc(id)}`)).room
  }

  /** Becomes a member (idempotent). 409 ROOM_FULL. */
  async joinRoom(id: string): Promise<Room> {
    return (await this.request<{ room: Room }>('POST', `/api/rooms/${enc(id)}/join`)).room
  }

  async leaveRoom(id: string): Promise<void> {
    await this.request<null>('POST', `/api/rooms/${enc(id)}/leave`)
  }

  /** Deletes a room (its creator or an admin; a direct room only an admin: its members leave it). */
  async deleteRoom(id: string): Promise<void> {
    await this.request<null>('DELETE', `/api/rooms/${enc(id)}`)
  }

  members(id: string, query: { limit?: number; cursor?: string } = {}): Promise<PageOf<Member>> {
    return this.request<PageOf<Member>>('GET', `/api/rooms/${enc(id)}/members`, undefined, { query })
  }

  /**
   * A room's messages by seq: the newest without parameters, `{before}` for older, `{after}` for
   * newer, `{around}` for the page centred on a seq (a search hit), whose `prevCursor` and
   * `nextCursor` go back as `{cursor}` for the pages before and after it.
   */
  history(id: string, query: HistoryQuery = {}): Promise<HistoryPage> {
    return this.request<HistoryPage>('GET', `/api/rooms/${enc(id)}/messages`, undefined, { query })
  }

  // ------------------------------------------------------------------ search and pins

  /**
   * Messages of my rooms that contain every term of `q`, newest first, each with its room and
   * `highlights` (code point offsets into `message.text`: slice `[...text]`, not the string).
   * Pass `nextCursor` back as `cursor` for more. 400 VALIDATION for an empty or overlong `q`.
   */
  search(query: SearchQuery): Promise<SearchPage> {
    return this.request<SearchPage>('GET', '/api/search', undefined, { query })
  }

  /** A room's pinned messages, latest pin first (members only). */
  async pins(id: string): Promise<Pin[]> {
    return (await this.request<{ items: Pin[] }>('GET', `/api/rooms/${enc(id)}/pins`)).items
  }

  /**
   * Pins a message (the room's creator or an admin: 403 FORBIDDEN); idempotent. The room gets a
   * `pin` event. 409 TOO_MANY_PINS past 50 in a room, 409 DELETED for a deleted message.
   */
  async pin(id: string, seq: number): Promise<void> {
    await this.request<null>('PUT', `/api/rooms/${enc(id)}/pins/${seq}`)
  }

  /** Unpins a message (the same people as pinning); idempotent. */
  async unpin(id: string, seq: number): Promise<void> {
    await this.request<null>('DELETE', `/api/rooms/${enc(id)}/pins/${seq}`)
  }

  /**
   * Sends over HTTP (same idempotency as the socket's send: pass the same clientMsgId to retry).
   * `replyTo`: the seq of a message of the same room (400 VALIDATION otherwise, 409 DELETED).
   */
  async sendMessage(
    id: string,
    text: string,
    clientMsgId: string = newClientMsgId(),
    options: { replyTo?: number } = {},
  ): Promise<Message> {
    const path = `/api/rooms/${enc(id)}/messages`
    const body = { text, clientMsgId, ...(options.replyTo !== undefined ? { replyTo: options.replyTo } : {}) }
    return (await this.request<{ message: Message }>('POST', path, body)).message
  }

  /** Edits my message (403 FORBIDDEN for another's, 409 DELETED); the room gets an `update`. */
  async editMessage(id: string, seq: number, text: string): Promise<Message> {
    const path = `/api/rooms/${enc(id)}/messages/${seq}`
    return (await this.request<{ message: Message }>('PATCH', path, { text })).message
  }

  /** Deletes a message (its author, the room's creator or an admin); idempotent. */
  async deleteMessage(id: string, seq: number): Promise<void> {
    await this.request<null>('DELETE', `/api/rooms/${enc(id)}/messages/${seq}`)
  }

  /** Puts my `emoji` (one emoji) on a message; idempotent. 409 TOO_MANY_REACTIONS past 20 emojis. */
  async react(id: string, seq: number, emoji: string): Promise<void> {
    await this.request<null>('PUT', `/api/rooms/${enc(id)}/messages/${seq}/reactions/${enc(emoji)}`)
  }

  /** Takes my `emoji` off a message; idempotent. */
  async unreact(id: string, seq: number, emoji: string): Promise<void> {
    await this.request<null>('DELETE', `/api/rooms/${enc(id)}/messages/${seq}/reactions/${enc(emoji)}`)
  }

  /** Moves my read marker of a room (never back); my other sockets get a `read` frame. */
  async markRead(id: string, seq: number): Promise<void> {
    await this.request<null>('POST', `/api/rooms/${enc(id)}/read`, { seq })
  }

  /** My rooms with unread messages or mentions. */
  async unread(): Promise<UnreadItem[]> {
    return (await this.request<{ items: UnreadItem[] }>('GET', '/api/me/unread')).items
  }

  /** The one direct room with a user, created on first use (no VIP needed). */
  async openDm(userId: string): Promise<Room> {
    return (await this.request<{ room: Room }>('POST', '/api/dms', { userId })).room
  }

  /**
   * Removes a member (the room's creator or an admin); they get `removed` with reason `kicked`
   * and may not join again for `minutes` (0..10080; the server's default, 10, when not given;
   * 0 only removes): their join gets 403 BANNED_FROM_ROOM until then.
   */
  async kick(id: string, userId: string, options: KickBody = {}): Promise<void> {
    const path = `/api/rooms/${enc(id)}/members/${enc(userId)}/kick`
    await this.request<null>('POST', path, options.minutes === undefined ? undefined : options)
  }

  /**
   * Bans a user from a room until `unbanFromRoom` (the room's creator or an admin): a member
   * gets `removed` with reason `banned`; their join gets 403 BANNED_FROM_ROOM.
   */
  async banFromRoom(id: string, userId: string): Promise<void> {
    await this.request<null>('POST', `/api/rooms/${enc(id)}/members/${enc(userId)}/ban`)
  }

  /** Lifts a user's ban (and a kick's bar) of a room; idempotent. */
  async unbanFromRoom(id: string, userId: string): Promise<void> {
    await this.request<null>('DELETE', `/api/rooms/${enc(id)}/members/${enc(userId)}/ban`)
  }

  /** Mutes a member for `minutes` (1..10080; 0 lifts it): their sends get 403 MUTED. */
  async mute(id: string, userId: string, minutes: number): Promise<void> {
    await this.request<null>('POST', `/api/rooms/${enc(id)}/members/${enc(userId)}/mute`, { minutes })
  }

  // ------------------------------------------------------------------ incoming webhooks

  /**
   * An incoming webhook of the room (its creator or an admin; 409 TOO_MANY_WEBHOOKS past 10):
   * `url` holds its secret and is shown only in this answer. Other servers POST `{text,
   * displayName?}` to it; the message shows the webhook's name, with `hook` set and `from.bot`.
   */
  createWebhook(roomId: string, name: string): Promise<WebhookCreated> {
    return this.request<WebhookCreated>('POST', `/api/rooms/${enc(roomId)}/webhooks`, { name })
  }

  /** The room's incoming webhooks, oldest first, without their secrets. */
  async webhooks(roomId: string): Promise<Webhook[]> {
    return (await this.request<{ items: Webhook[] }>('GET', `/api/rooms/${enc(roomId)}/webhooks`)).items
  }

  /** Its URL answers 404 from now on, on every instance. */
  async deleteWebhook(roomId: string, hookId: string): Promise<void> {
    await this.request<null>('DELETE', `/api/rooms/${enc(roomId)}/webhooks/${enc(hookId)}`)
  }
}
