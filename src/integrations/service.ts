// Outgoing integrations as admins manage them: create (the URL's rules, the rooms, the cap; the
// secret sealed at rest, and each room's cursor at its last seq then, so delivery starts with
// the next event), list, read back with where delivery stands per room, delete. Audited.
import type { SecretBox } from '../accounts/secret-box.ts'
import { type AuditService, userRef } from '../audit/audit.ts'
import { AppError, invalid, notFound } from '../errors.ts'
import { isId, newId } from '../ids.ts'
import type {
  Integration,
  IntegrationBody,
  IntegrationDetail,
  IntegrationList,
} from '../schemas/integrations.ts'
import type { IntegrationRecord } from '../store/integration-records.ts'
import type { Store } from '../store/store.ts'
import { checkUrl } from './url.ts'

export interface IntegrationSettings {
  allowPrivate: boolean
  max: number
}

/** Every room, at creation of an integration of `"all"`. */
const ALL_ROOMS = 1_000_000

export const toIntegrationView = (r: IntegrationRecord): Integration => ({
  id: r.id,
  url: r.url,
  rooms: r.rooms,
  events: r.events,
  createdAt: r.createdAt.toISOString(),
  createdBy: r.createdBy,
})

export class IntegrationService {
  constructor(
    private readonly store: Pick<Store, 'integrations' | 'rooms' | 'messages' | 'users'>,
    private readonly box: SecretBox,
    private readonly audit: AuditService,
    private readonly settings: IntegrationSettings,
    /** Told of a change, so this instance's deliverer looks at once. */
    private readonly changed: () => void = () => {},
  ) {}

  async create(actorId: string, body: IntegrationBody): Promise<Integration> {
    const url = await checkUrl(body.url, this.settings.allowPrivate)
    // A cap, counted before the insert: admins racing past it by one or two is harmless.
    if ((await this.store.integrations.count()) >= this.settings.max)
      throw new AppError(409, 'TOO_MANY_INTEGRATIONS', `At most ${this.settings.max} integrations`)
    const actor = await this.store.users.get(actorId)
    if (!actor) throw new AppError(401, 'UNAUTHENTICATED', 'Authentication required')
    const id = newId()
    let rooms: string[]
    if (body.rooms === 'all') rooms = await this.store.integrations.roomsWithout(id, ALL_ROOMS)
    else {
      rooms = body.rooms
      const found = await Promise.all(rooms.map((r) => this.store.rooms.get(r)))
      // Direct rooms are private conversations: never sent anywhere.
      const missing = rooms.find((_, i) => !found[i] || found[i]?.kind === 'dm')
      if (missing) throw invalid(`rooms: no such room ${missing}`)
    }
    const cursors = await Promise.all(
      rooms.map(async (room) => ({ room, seq: await this.store.messages.lastSeq(room) })),
    )
    const record: IntegrationRecord = {
      id,
      url,
      secret: this.box.seal(body.secret),
      rooms: body.rooms === 'all' ? 'all' : rooms,
      events: body.events,
      createdAt: new Date(),
      createdBy: userRef(actor),
    }
    await this.store.integrations.create(record, cursors)
    await this.audit.record(actorId, 'integration.create', null, {
      integration: id,
      url,
      rooms: record.rooms,
      events: record.events,
    })
    this.changed()
    return toIntegrationView(record)
  }

  async list(): Promise<IntegrationList> {
    return { items: (await this.store.integrations.list()).map(toIntegrationView) }
  }

  async get(id: string): Promise<IntegrationDetail> {
    const record = isId(id) ? await this.store.integrations.get(id) : null
    if (!record) throw notFound('Integration')
    const cursors = await this.store.integrations.cursors(id)
    cursors.sort((a, b) => (a.room < b.room ? -1 : a.room > b.room ? 1 : 0))
    const rooms = await Promise.all(
      cursors.map(async (c) => ({
        room: c.room,
        deliveredSeq: c.seq,
        lastSeq: await this.store.messages.lastSeq(c.room),
        ...(c.lastError ? { lastError: c.lastError } : {}),
        ...(c.lastAttemptAt ? { lastAttemptAt: c.lastAttemptAt.toISOString() } : {}),
      })),
    )
    return { integration: toIntegrationView(record), rooms }
  }

  async delete(actorId: string, id: string): Promise<void> {
    const record = isId(id) ? await this.store.integrations.get(id) : null
    if (!record || !(await this.store.integrations.delete(id))) throw notFound('Integration')
    await this.audit.record(actorId, 'integration.delete', null, { integration: id, url: record.url })
    this.changed()
  }
}
