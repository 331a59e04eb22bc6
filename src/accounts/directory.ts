// The user directory: public views of users, by username, searchable by a prefix of the
// username or the display name. Never more of a user than toPublicUser shows.
import { invalid, notFound } from '../errors.ts'
import { isId } from '../ids.ts'
import { clampLimit, decodeCursor, type Page, toPage } from '../pagination.ts'
import type { UsersQuery } from '../schemas/directory.ts'
import type { AdminUserView, PublicUser } from '../schemas/users.ts'
import type { UserRecord } from '../store/records.ts'
import type { Store } from '../store/store.ts'
import { invitersOf, toAdminUserView, toPublicUser } from './views.ts'

export class DirectoryService {
  constructor(private readonly store: Store) {}

  /** Ordered by the lowercased username (then id), the keyset of the cursor. */
  list(query: UsersQuery): Promise<Page<PublicUser>> {
    return this.page(query, toPublicUser)
  }

  /** The same list for an admin: each user also says whether the account is banned. */
  listForAdmin(query: UsersQuery): Promise<Page<AdminUserView>> {
    return this.page(query, toAdminUserView, true)
  }

  private async page<T>(
    query: UsersQuery,
    view: (u: UserRecord, now: Date, inviters: Map<string, UserRecord>) => T,
    withInviters = false,
  ): Promise<Page<T>> {
    const limit = clampLimit(query.limit)
    const after = decodeCursor<[string, string]>(query.cursor, ['string', 'string'])
    if (after && !isId(after[1])) throw invalid('Malformed cursor')
    const rows = await this.store.users.list({ q: query.q || undefined, limit, after })
    const now = new Date()
    const inviters = withInviters ? await invitersOf(this.store, rows) : new Map<string, UserRecord>()
    return toPage(
      rows,
      limit,
      (u) => [u.username.toLowerCase(), u.id],
      (u) => view(u, now, inviters),
    )
  }

  async get(id: string): Promise<PublicUser> {
    const user = await this.store.users.get(id)
    if (!user) throw notFound('User')
    return toPublicUser(user)
  }
}
