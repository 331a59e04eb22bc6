// Post records to wire views.
import type { Post } from '../schemas/posts.ts'
import type { UserRef } from '../schemas/users.ts'
import type { PostRecord } from '../store/records.ts'

/** `author` is looked up at read time, so a renamed user shows the new name on old posts. */
export const toPost = (p: PostRecord, author: UserRef | undefined): Post => ({
  id: p.id,
  wall: p.wall,
  // Users are never deleted today; should one be, their posts still render.
  author: author ?? { id: p.authorId, username: '', displayName: '' },
  text: p.text,
  createdAt: p.createdAt.toISOString(),
})
