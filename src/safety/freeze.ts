// A freeze: an admin bans (or, with minutes, mutes everywhere) a user and, with `subtree`,
// everyone below them in the invitation tree, at once. Batched whatever the count: one write
// for the users (announced to every instance in one notice), one for their sessions (one
// revocation notice), one for their codes, one audit entry; the fence (send-fence.ts) makes sure
// that once it answers, no send of theirs is stored on any instance.
//
// Who is never frozen: the admin acting (409 SELF_CHANGE as the root; skipped below it), and
// admins below the root (skipped and listed: a subtree freeze is for the members an invitation
// chain brought in, and an admin is removed by hand). An admin as the root is frozen as a ban
// by hand would be: never the last admin who is not banned (409 LAST_ADMIN).
import type { SessionService } from '../accounts/sessions.ts'
import { type AuditService, userRef } from '../audit/audit.ts'
import { AppError, notFound } from '../errors.ts'
import type { FreezeAnswer, FreezeBody } from '../schemas/lineage.ts'
import type { FreezeChange } from '../store/records.ts'
import type { Store } from '../store/store.ts'
import type { LineageService } from './lineage.ts'
import type { SendFence } from './send-fence.ts'

/** Ids named in the audit entry at most (the count is always there). */
const AUDIT_IDS = 200

const lastAdmin = () =>
  new AppError(409, 'LAST_ADMIN', 'There must always be at least one admin who is not banned')

export class FreezeService {
  constructor(
    private readonly store: Store,
    private readonly lineage: LineageService,
    private readonly sessions: SessionService,
    private readonly fence: Pick<SendFence, 'hold'>,
    private readonly audit: AuditService,
  ) {}

  async freeze(actorId: string, rootId: string, body: FreezeBody): Promise<FreezeAnswer> {
    if (actorId === rootId) throw new AppError(409, 'SELF_CHANGE', 'Admins cannot freeze themselves')
    const root = await this.store.users.get(rootId)
    if (!root) throw notFound('User')
    const below = body.subtree ? await this.lineage.descendants(root.id) : { users: [], truncated: false }
    const skipped = below.users.filter((u) => u.role === 'admin' || u.id === actorId).map((u) => u.id)
    const frozen = [
      root.id,
      ...below.users.filter((u) => u.role !== 'admin' && u.id !== actorId).map((u) => u.id),
    ]
    const now = new Date()
    const mutedUntil = body.minutes ? new Date(now.getTime() + body.minutes * 60_000) : null
    const change: FreezeChange = mutedUntil ? { mutedUntil } : { banned: true }
    const removesAdmin = !mutedUntil && root.role === 'admin' && !root.banned
    if (removesAdmin && (await this.store.users.countAdmins()) <= 1) throw lastAdmin()

    await this.store.users.freezeMany(frozen, change)
    // Checked after the write, as a ban by hand is: two admins freezing each other at once cannot both succeed.
    if (removesAdmin && (await this.store.users.countAdmins()) === 0) {
      await this.store.users.update(root.id, { banned: false })
      throw lastAdmin()
    }
    // The users' record says frozen from here on (a login is refused), so the rest may run at once.
    const [, codesRevoked] = await Promise.all([
      (async () => {
        if (!mutedUntil) await this.sessions.revokeAllForUsers(frozen)
        await this.fence.hold(frozen, mutedUntil)
      })(),
      body.revokeCodes ? this.store.codes.revokeOwnedBy(frozen, now) : 0,
    ])
    await this.audit.record(actorId, 'user.freeze', userRef(root), {
      subtree: body.subtree ?? false,
      revokeCodes: body.revokeCodes ?? false,
      minutes: body.minutes ?? null,
      count: frozen.length,
      users: frozen.slice(0, AUDIT_IDS),
      skipped: skipped.slice(0, AUDIT_IDS),
      codesRevoked,
      ...(below.truncated ? { truncated: true } : {}),
    })
    return { frozen, skipped, codesRevoked, mutedUntil: mutedUntil?.toISOString() ?? null }
  }
}
