// What the push and settings routes call: the VAPID key, a browser's subscriptions, a user's
// notification settings. Framework-free.
import { AppError, invalid, notFound } from '../errors.ts'
import { isId, newId } from '../ids.ts'
import type { NotifySettings, NotifySettingsPatch, PushSubscriptionBody } from '../schemas/notify.ts'
import type { Store } from '../store/store.ts'
import type { Push } from './push.ts'
import type { NotifyTrigger } from './trigger.ts'

/** Browsers one user may have subscribed at once; a new one past it replaces the oldest. */
export const MAX_SUBSCRIPTIONS = 20
/** Rooms one user may set apart from the default. */
export const MAX_ROOM_SETTINGS = 1000

export class NotifyService {
  constructor(
    private readonly store: Store,
    private readonly push: Push | null,
    private readonly trigger: Pick<NotifyTrigger, 'roomSetToAll'>,
    private readonly allowHttp: boolean,
  ) {}

  /** The VAPID public key; 404 when push is off. */
  publicKey(): { publicKey: string } {
    if (!this.push) throw notFound('Push')
    return { publicKey: this.push.publicKey }
  }

  async subscribe(userId: string, body: PushSubscriptionBody): Promise<{ id: string }> {
    if (!this.push) throw notFound('Push')
    let url: URL
    try {
      url = new URL(body.endpoint)
    } catch {
      throw invalid('endpoint must be a URL')
    }
    if (
      !(url.protocol === 'https:' || (this.allowHttp && url.protocol === 'http:')) ||
      url.username ||
      url.password
    )
      throw invalid('endpoint must be an https: URL without credentials')
    const id = await this.store.pushSubscriptions.upsert({
      id: newId(),
      userId,
      endpoint: url.toString(),
      p256dh: body.keys.p256dh,
      auth: body.keys.auth,
      createdAt: new Date(),
    })
    const mine = await this.store.pushSubscriptions.ofUser(userId)
    for (const old of mine.slice(0, Math.max(0, mine.length - MAX_SUBSCRIPTIONS)))
      await this.store.pushSubscriptions.remove(old.id, userId)
    return { id }
  }

  async unsubscribe(userId: string, id: string): Promise<void> {
    if (!(await this.store.pushSubscriptions.remove(id, userId))) throw notFound('Subscription')
  }

  async settings(userId: string): Promise<NotifySettings> {
    const { push, email, rooms } = await this.store.notifySettings.get(userId)
    return { push, email, rooms }
  }

  async update(userId: string, patch: NotifySettingsPatch): Promise<NotifySettings> {
    const rooms = patch.rooms ?? {}
    for (const room of Object.keys(rooms)) if (!isId(room)) throw invalid('rooms: the keys are room ids')
    if (Object.keys(rooms).length > 0) {
      const now = await this.store.notifySettings.get(userId)
      const after = new Set(Object.keys(now.rooms))
      for (const [room, level] of Object.entries(rooms)) {
        if (level === 'mentions') after.delete(room)
        else after.add(room)
      }
      if (after.size > MAX_ROOM_SETTINGS)
        throw new AppError(400, 'VALIDATION', `At most ${MAX_ROOM_SETTINGS} rooms may be set apart`)
    }
    const s = await this.store.notifySettings.update(userId, patch)
    for (const [room, level] of Object.entries(rooms)) if (level === 'all') this.trigger.roomSetToAll(room)
    return { push: s.push, email: s.email, rooms: s.rooms }
  }
}
