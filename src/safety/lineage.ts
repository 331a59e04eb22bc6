// Invitation lineage: who joined with the codes a user's invitation chain produced, and the
// codes members mint for themselves. The tree is walked a level at a time, one store query per
// level whatever its width (`listInvitedBy`, indexed), never one per user.
import type { CodeService } from '../accounts/codes.ts'
import { invitersOf, toAdminUserView } from '../accounts/views.ts'
import { AppError, notFound, rateLimited } from '../errors.ts'
import type { Limiter } from '../limits/limits.ts'
import type { Page } from '../pagination.ts'
import type { CodesQuery, CodeView, NewCode } from '../schemas/codes.ts'
import { type InviteeNode, type InviteesAnswer, MAX_TREE_NODES } from '../schemas/lineage.ts'
import type { UserRecord } from '../store/records.ts'
import type { Store } from '../store/store.ts'
import { mutedEverywhere } from './send-fence.ts'

/** Users one freeze walks at most below its root. */
export const MAX_SUBTREE = 100_000

export class LineageService {
  constructor(
    private readonly store: Store,
    private readonly codes: CodeService,
    /** A member's codes per day: null when members may not mint (MEMBER_INVITES_PER_DAY=0). */
    private readonly perDay: Limiter | null,
  ) {}

  /** The user, the users they invited, and so on for `depth` levels; at most MAX_TREE_NODES users. */
  async invitees(id: string, depth: number): Promise<InviteesAnswer> {
    const root = await this.store.users.get(id)
    if (!root) throw notFound('User')
    const now = new Date()
    const inviters = await invitersOf(this.store, [root])
    const toNode = (u: UserRecord, parent: UserRecord | undefined): InviteeNode => {
      const view = toAdminUserView(u, now, parent ? new Map([[parent.id, parent]]) : inviters)
      return { user: view, invitedBy: view.invitedBy, children: [] }
    }
    const top = toNode(root, undefined)
    let total = 1
    let truncated = false
    let level = new Map<string, { user: UserRecord; node: InviteeNode }>([
      [root.id, { user: root, node: top }],
    ])
    const seen = new Set([root.id])
    for (let d = 1; d <= depth && level.size > 0 && !truncated; d++) {
      const room = MAX_TREE_NODES - total
      const found = (await this.store.users.listInvitedBy([...level.keys()], room + 1)).filter(
        (u) => !seen.has(u.id),
      )
      if (found.length > room) truncated = true
      const next = new Map<string, { user: UserRecord; node: InviteeNode }>()
      for (const u of sortByName(found).slice(0, room)) {
        const parent = level.get(u.invitedBy!)
        if (!parent) continue
        const node = toNode(u, parent.user)
        parent.node.children.push(node)
        next.set(u.id, { user: u, node })
        seen.add(u.id)
        total++
      }
      level = next
    }
    // The deepest level shown: whether each has invitees of their own (one more query).
    if (level.size > 0 && !truncated) {
      const below = await this.store.users.listInvitedBy([...level.keys()], MAX_TREE_NODES)
      for (const u of below) {
        const parent = level.get(u.invitedBy!)
        if (parent) parent.node.more = (parent.node.more ?? 0) + 1
      }
    }
    return { ...top, total, truncated }
  }

  /**
   * Everyone below the user in the tree, at every depth, level by level (the root left out);
   * `truncated` past MAX_SUBTREE.
   */
  async descendants(rootId: string): Promise<{ users: UserRecord[]; truncated: boolean }> {
    const users: UserRecord[] = []
    const seen = new Set([rootId])
    let level = [rootId]
    while (level.length > 0) {
      const room = MAX_SUBTREE - users.length
      if (room <= 0) return { users, truncated: true }
      const found = (await this.store.users.listInvitedBy(level, room)).filter((u) => !seen.has(u.id))
      for (const u of found) seen.add(u.id)
      users.push(...found)
      level = found.map((u) => u.id)
    }
    return { users, truncated: false }
  }

  /** A member mints invite codes of their own, one use each, held by them; limited per day. */
  async mintOwn(userId: string, count: number): Promise<NewCode[]> {
    const user = await this.store.users.get(userId)
    if (!user) throw new AppError(401, 'UNAUTHENTICATED', 'Authentication required')
    if (user.banned) throw new AppError(403, 'BANNED', 'This account is banned')
    if (user.mutedUntil && user.mutedUntil > new Date()) throw mutedEverywhere()
    if (user.role !== 'admin') {
      if (!this.perDay)
        throw new AppError(403, 'INVITES_DISABLED', 'Members may not mint invite codes here: ask an admin')
      const taken: number[] = []
      for (let i = 0; i < count; i++) {
        const { allowed, retryAfter } = await this.perDay.consume(userId)
        if (!allowed) {
          // The refused one is counted too: give back all of this request's.
          for (let j = 0; j <= taken.length; j++) await this.perDay.refund(userId)
          throw rateLimited(retryAfter)
        }
        taken.push(i)
      }
    }
    return this.codes.mint('invite', { count, createdBy: userId, heldBy: userId, audit: false })
  }

  /** The codes the user holds (their own and those minted for them), newest first. */
  listOwn(userId: string, q: CodesQuery): Promise<Page<CodeView>> {
    return this.codes.list({ ...q, type: 'invite' }, userId)
  }
}

const sortByName = (users: UserRecord[]) =>
  [...users].sort((a, b) => (a.username.toLowerCase() < b.username.toLowerCase() ? -1 : 1))
