// Incoming webhooks: a room's creator (or an admin) makes a URL that other servers POST
// messages to. The URL holds a 256-bit secret, kept hashed and compared in constant time.
// Every post reads the hook and its room from the store: deleting either stops it at once on
// every instance. A wrong secret, an unknown or deleted hook and a deleted room all answer the
// same 404, so the answers tell nothing of which hooks exist.

import { cleanDisplayName } from '../accounts/display-name.ts'
import { type AuditService, roomRef } from '../audit/audit.ts'
import { enforceLimit } from '../enforce-limit.ts'
import { AppError, notFound } from '../errors.ts'
import { isId, newId } from '../ids.ts'
import type { Limiter } from '../limits/limits.ts'
import type { ChatService } from '../rooms/chat.ts'
import { canSee } from '../rooms/rooms.ts'
import {
  type HookPostBody,
  MAX_WEBHOOKS_PER_ROOM,
  type Webhook,
  type WebhookCreated,
} from '../schemas/bots.ts'
import type { RoomRecord, WebhookRecord } from '../store/records.ts'
import type { Store } from '../store/store.ts'
import { hashSecret, isSecret, matches, newSecret } from './token.ts'

const noHook = () => notFound('Webhook')

export const toWebhookView = (h: WebhookRecord): Webhook => ({
  id: h.id,
  room: h.roomId,
  name: h.name,
  createdBy: h.createdBy,
  createdAt: h.createdAt.toISOString(),
})

export class WebhookService {
  constructor(
    private readonly store: Store,
    private readonly chat: ChatService,
    private readonly audit: AuditService,
    /** Posts per hook (RATE_WEBHOOK), on every instance together. */
    private readonly perHook: Limiter,
  ) {}

  /** A new webhook of the room; `base` is where its URL points (PUBLIC_URL or the request's origin). */
  async create(actorId: string, roomId: string, name: string, base: string): Promise<WebhookCreated> {
    const room = await this.requireModerator(actorId, roomId)
    const clean = cleanDisplayName(name)
    if (clean === '')
      throw new AppError(400, 'VALIDATION', 'name is empty once invisible characters are removed')
    const actor = await this.store.users.get(actorId)
    if (!actor) throw new AppError(401, 'UNAUTHENTICATED', 'Authentication required')
    const secret = newSecret()
    const hook: WebhookRecord = {
      id: newId(),
      roomId: room.id,
      name: clean,
      secretHash: hashSecret(secret),
      createdBy: { id: actor.id, username: actor.username },
      createdAt: new Date(),
    }
    if ((await this.store.webhooks.create(hook, MAX_WEBHOOKS_PER_ROOM)) === 'full')
      throw new AppError(
        409,
        'TOO_MANY_WEBHOOKS',
        `A room has at most ${MAX_WEBHOOKS_PER_ROOM} incoming webhooks: delete one first`,
      )
    await this.audit.record(actorId, 'webhook.create', roomRef(room), {
      hook: { id: hook.id, name: hook.name },
    })
    return {
      id: hook.id,
      url: `${base.replace(/\/$/, '')}/hooks/${hook.id}/${secret}`,
      webhook: toWebhookView(hook),
    }
  }

  async list(actorId: string, roomId: string): Promise<{ items: Webhook[] }> {
    const room = await this.requireModerator(actorId, roomId)
    return { items: (await this.store.webhooks.list(room.id)).map(toWebhookView) }
  }

  async delete(actorId: string, roomId: string, hookId: string): Promise<void> {
    const room = await this.requireModerator(actorId, roomId)
    const hook = await this.store.webhooks.get(hookId)
    if (!hook || hook.roomId !== room.id) throw noHook()
    if (!(await this.store.webhooks.delete(hookId))) throw noHook()
    await this.audit.record(actorId, 'webhook.delete', roomRef(room), {
      hook: { id: hook.id, name: hook.name },
    })
  }

  /** A message from the webhook: 404 unless the hook, its secret and its room are all right. */
  async post(hookId: string, secret: string, body: HookPostBody): Promise<{ seq: number }> {
    if (!isId(hookId) || !isSecret(secret)) throw noHook()
    const hook = await this.store.webhooks.get(hookId)
    // The hash of the given secret is compared even for no hook, so both take the same time.
    const ok = matches(secret, hook?.secretHash ?? '0'.repeat(64))
    if (!hook || !ok) throw noHook()
    const room = await this.store.rooms.get(hook.roomId)
    if (!room) throw noHook()
    await enforceLimit(this.perHook, hook.id)
    const given = body.displayName === undefined ? '' : cleanDisplayName(body.displayName)
    const { message } = await this.chat.postHook(
      room.id,
      { id: hook.id, name: hook.name },
      body.text,
      given === '' ? hook.name : given,
    )
    return { seq: message.seq }
  }

  /** The room, when the actor is its creator or an admin (a direct room has no webhooks). */
  private async requireModerator(actorId: string, roomId: string): Promise<RoomRecord> {
    const room = await this.store.rooms.get(roomId)
    if (!room || !canSee(room, actorId)) throw notFound('Room')
    if (room.kind === 'dm') throw new AppError(403, 'FORBIDDEN', 'A direct room has no webhooks')
    if (room.creator.id !== actorId && (await this.store.users.get(actorId))?.role !== 'admin')
      throw new AppError(403, 'FORBIDDEN', "Only the room's creator or an admin may manage its webhooks")
    return room
  }
}
