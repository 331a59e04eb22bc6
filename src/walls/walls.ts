// Walls (guestbooks): the home page has one, every user's personal centre has one. A post may
// be deleted by its author, by the owner of the wall it is on, or by an admin. Posting is rate
// limited per user; the limiter lives in Redis in the scaled mode, so the limit holds across
// every instance.

import { toUserRef } from '../accounts/views.ts'
import { enforceLimit } from '../enforce-limit.ts'
import { forbidden, invalid, notFound, unauthenticated } from '../errors.ts'
import { isId, newId } from '../ids.ts'
import type { Limiter } from '../limits/limits.ts'
import { clampLimit, decodeCursor, type Page, toPage } from '../pagination.ts'
import { HOME_WALL, type Post, type WallQuery } from '../schemas/posts.ts'
import type { UserRef } from '../schemas/users.ts'
import type { PostRecord } from '../store/records.ts'
import type { Store } from '../store/store.ts'
import { checkPostText } from './text.ts'
import { toPost } from './views.ts'

export class WallService {
  constructor(
    private readonly store: Store,
    private readonly postsByUser: Limiter,
  ) {}

  /** Posts on `wall`: 'home', or the id of the user whose wall it is (404 when there is none). */
  async post(authorId: string, wall: string, text: string): Promise<Post> {
    checkPostText(text)
    await enforceLimit(this.postsByUser, authorId)
    await this.requireWall(wall)
    const author = await this.store.users.get(authorId)
    if (!author) throw unauthenticated()
    const record: PostRecord = { id: newId(), wall, authorId, text, createdAt: new Date() }
    await this.store.posts.create(record)
    return toPost(record, toUserRef(author))
  }

  /** A page of `wall`, newest first; keyset on the post id, so inserts never shift a page. */
  async list(wall: string, query: WallQuery): Promise<Page<Post>> {
    const limit = clampLimit(query.limit)
    const after = decodeCursor<[string]>(query.cursor, ['string'])
    if (after && !isId(after[0])) throw invalid('Malformed cursor')
    await this.requireWall(wall)
    const rows = await this.store.posts.list({ wall, limit, after })
    const page = toPage(
      rows,
      limit,
      (p) => [p.id],
      (p) => p,
    )
    const authors = await this.authors(page.items)
    return { items: page.items.map((p) => toPost(p, authors.get(p.authorId))), nextCursor: page.nextCursor }
  }

  async delete(userId: string, postId: string): Promise<void> {
    const post = await this.store.posts.get(postId)
    if (!post) throw notFound('Post')
    if (post.authorId !== userId && post.wall !== userId) {
      const user = await this.store.users.get(userId)
      if (user?.role !== 'admin')
        throw forbidden('Only the author, the owner of the wall or an admin may delete a post')
    }
    if (!(await this.store.posts.delete(postId))) throw notFound('Post')
  }

  private async requireWall(wall: string): Promise<void> {
    if (wall === HOME_WALL) return
    if (!(await this.store.users.get(wall))) throw notFound('User')
  }

  /** The authors of a page in one store round trip. */
  private async authors(posts: PostRecord[]): Promise<Map<string, UserRef>> {
    const ids = [...new Set(posts.map((p) => p.authorId))]
    const users = await this.store.users.getMany(ids)
    return new Map(users.map((u) => [u.id, toUserRef(u)]))
  }
}
