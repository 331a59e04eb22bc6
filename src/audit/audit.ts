// The audit log: every action of an admin or a room's creator on someone else writes one entry
// (who, what, on whom, when, with what details), and admins read the log, newest first. The
// services that carry out the actions build the entries here; the log itself is the Store's
// `audit` part, which can only append and list: nothing changes or removes an entry.
//
// When an entry is written: the room moderation writes (kick, ban, unban, mute) hand their
// entry to the store with the action (one transaction on the embedded store; on MongoDB the
// entry right after the action, see RoomStore.exclude). The others (codes, roles, bans of
// accounts, deletions of messages) `record` it right after the action succeeded: never before,
// so no entry tells of an action that did not happen; only a crash between the two can leave an
// action without its entry.
import { AppError, invalid } from '../errors.ts'
import { isId, newId } from '../ids.ts'
import { clampLimit, decodeCursor, type Page, toPage } from '../pagination.ts'
import type { AuditEntry, AuditQuery } from '../schemas/audit.ts'
import type { AuditAction, AuditRecord, AuditRoomRef, AuditUserRef } from '../store/records.ts'
import type { Store } from '../store/store.ts'

export const userRef = (u: { id: string; username: string }): AuditUserRef => ({
  id: u.id,
  username: u.username,
})
export const roomRef = (r: { id: string; name: string }): AuditRoomRef => ({ id: r.id, name: r.name })

export const toAuditEntry = (e: AuditRecord): AuditEntry => ({
  id: e.id,
  at: e.at.toISOString(),
  actor: e.actor,
  action: e.action,
  target: e.target,
  details: e.details,
})

export class AuditService {
  constructor(private readonly store: Pick<Store, 'users' | 'audit'>) {}

  /** The entry of an action of `actorId` now, the actor named as it is now (a snapshot). */
  async entry(
    actorId: string,
    action: AuditAction,
    target: AuditRecord['target'],
    details: Record<string, unknown> = {},
  ): Promise<AuditRecord> {
    const actor = await this.store.users.get(actorId)
    if (!actor) throw new AppError(401, 'UNAUTHENTICATED', 'Authentication required')
    return { id: newId(), at: new Date(), actor: userRef(actor), action, target, details }
  }

  /** Appends the entry of an action that has just succeeded (see the top of this file). */
  async record(
    actorId: string,
    action: AuditAction,
    target: AuditRecord['target'],
    details: Record<string, unknown> = {},
  ): Promise<void> {
    await this.store.audit.append(await this.entry(actorId, action, target, details))
  }

  async list(q: AuditQuery): Promise<Page<AuditEntry>> {
    const limit = clampLimit(q.limit)
    const after = decodeCursor<[number, string]>(q.cursor, ['number', 'string'])
    if (after && !isId(after[1])) throw invalid('Malformed cursor')
    const rows = await this.store.audit.list({
      actor: q.actor,
      action: q.action,
      target: q.target,
      limit,
      after,
    })
    return toPage(rows, limit, (e) => [e.at.getTime(), e.id], toAuditEntry)
  }
}
