// ChatHttp's routes of invitation lineage: members' own invite codes, an admin's view of who
// joined through whose codes, and freezes of a user and the tree below them.
import { enc } from './http-base.ts'
import { SafetyRoutes } from './http-safety.ts'
import type {
  CodesQuery,
  CodeView,
  FreezeAnswer,
  FreezeBody,
  InviteeFields,
  NewCode,
  PageOf,
} from './wire.ts'

/** One user of an invitation tree and the users they invited (none below the deepest level asked). */
export type InviteeNode = InviteeFields & { children: InviteeNode[] }
/** GET /api/admin/users/:id/invitees: the tree, how many users it holds, and whether some were left out. */
export type Invitees = InviteeNode & { total: number; truncated: boolean }

export class LineageRoutes extends SafetyRoutes {
  /** Mints invite codes of my own to hand out (MEMBER_INVITES_PER_DAY; 403 INVITES_DISABLED when off). */
  async mintMyInviteCodes(count = 1): Promise<NewCode[]> {
    return (await this.request<{ codes: NewCode[] }>('POST', '/api/me/invite-codes', { count })).codes
  }

  /** The invite codes I hold: mine, and those an admin minted for me to hand out. */
  myInviteCodes(query: CodesQuery = {}): Promise<PageOf<CodeView>> {
    return this.request<PageOf<CodeView>>('GET', '/api/me/invite-codes', undefined, { query })
  }

  /** Who joined through the user's codes, and theirs, `depth` levels down (1..10; admins only). */
  invitees(id: string, depth = 1): Promise<Invitees> {
    return this.request<Invitees>('GET', `/api/admin/users/${enc(id)}/invitees`, undefined, {
      query: { depth },
    })
  }

  /** Bans (or with `minutes` mutes everywhere) the user, with `subtree` everyone below them too (admins only). */
  freeze(id: string, body: FreezeBody = {}): Promise<FreezeAnswer> {
    return this.request<FreezeAnswer>('POST', `/api/admin/users/${enc(id)}/freeze`, body)
  }
}
