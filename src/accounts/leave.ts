// Leaving: an account deleted by its owner. What was theirs goes (files, avatar, wall posts,
// push subscriptions, mail address, memberships, blocks, notification settings; with
// `eraseMessages` their messages, each as a deletion event in its room's stream), and what
// stays (others' history, the audit log) shows them as "deleted user". The username stays
// taken for good: the record stays, a tombstone with its name keys.
//
// The cleanup runs before the account is marked deleted and its sessions revoked: every step
// is idempotent, so a failure half way leaves a live session to try again with.
import type { AvatarService } from '../avatars/avatars.ts'
import type { Files } from '../files/files.ts'
import type { Logger } from '../logger.ts'
import type { ChatService } from '../rooms/chat.ts'
import type { RoomService } from '../rooms/rooms.ts'
import type { DeleteAccountBody } from '../schemas/leave.ts'
import { DELETED_NAME } from '../store/leave-store.ts'
import type { Store } from '../store/store.ts'
import { type AccountService, lastAdmin } from './accounts.ts'
import type { LoginContext } from './login-throttle.ts'
import type { SessionService } from './sessions.ts'

/** Messages erased per removal (one round trip, one batch of deletion events). */
export const ERASE_BATCH = 100
const FILE_PAGE = 100

export interface LeaveDeps {
  store: Store
  accounts: AccountService
  sessions: SessionService
  rooms: RoomService
  chat: ChatService
  avatars: AvatarService
  files: Pick<Files, 'delete'>
  log: Logger
}

export class LeaveService {
  constructor(private readonly deps: LeaveDeps) {}

  async deleteAccount(userId: string, body: DeleteAccountBody, ctx: LoginContext): Promise<void> {
    const { store, accounts, sessions, rooms, avatars, log } = this.deps
    const user = await accounts.confirmIdentity(userId, body.password, body.totp, ctx)
    const wasAdmin = user.role === 'admin' && !user.banned
    if (wasAdmin) await this.stepDown(userId)
    let erased = 0
    let posts = 0
    try {
      erased = body.eraseMessages ? await this.eraseMessages(userId) : 0
      await this.removeFiles(userId)
      await avatars.remove(userId)
      posts = await store.leaving.removePosts(userId)
      await this.dropReach(userId, user.email ?? null)
      for (const other of await store.blocks.list(userId)) await store.blocks.remove(userId, other)
      await rooms.leaveAll(userId)
      await store.leaving.markDeleted(userId)
    } catch (err) {
      // Not deleted after all: the admin stays one, to try again.
      if (wasAdmin) await store.users.update(userId, { role: 'admin' }).catch(() => {})
      throw err
    }
    await sessions.revokeAll(userId)
    await store.leaving.renameAuthor(userId, {
      id: userId,
      username: user.username,
      displayName: DELETED_NAME,
      avatar: null,
      deleted: true,
    })
    log.info({ userId, erased, posts }, 'account deleted by its owner')
  }

  /**
   * An admin leaving is an admin no more first, checked after the write as a demotion is (so
   * two last admins leaving at once cannot both go): 409 LAST_ADMIN, undone, when none is left.
   */
  private async stepDown(userId: string): Promise<void> {
    const { store } = this.deps
    if ((await store.users.countAdmins()) <= 1) throw lastAdmin()
    await store.users.update(userId, { role: 'user' })
    if ((await store.users.countAdmins()) === 0) {
      await store.users.update(userId, { role: 'admin' })
      throw lastAdmin()
    }
  }

  /** Every message of theirs, room by room in seq order, a batch at a time. */
  private async eraseMessages(userId: string): Promise<number> {
    const { store, chat } = this.deps
    let count = 0
    for (const roomId of await store.leaving.roomsAuthored(userId)) {
      let after = 0
      for (;;) {
        const page = await store.leaving.authored(userId, roomId, after, ERASE_BATCH, true)
        if (page.length === 0) break
        count += await chat.removeBatch(
          userId,
          roomId,
          page.map((m) => m.seq),
        )
        after = page[page.length - 1]!.seq
        if (page.length < ERASE_BATCH) break
      }
    }
    return count
  }

  /** Their uploads, bytes and records; their messages then show each file as gone. */
  private async removeFiles(userId: string): Promise<void> {
    const { store, files } = this.deps
    for (;;) {
      // Always the first page: what was removed no longer comes back.
      const page = await store.leaving.files(userId, '', FILE_PAGE)
      for (const f of page) {
        await files.delete({ id: f.id, roomId: f.roomId })
        await store.files.delete(f.id)
      }
      if (page.length < FILE_PAGE) break
    }
    await store.leaving.dropFileRefs(userId)
  }

  /** Nothing is to reach them any more: push, mail, pending links, per-room settings. */
  private async dropReach(userId: string, email: string | null): Promise<void> {
    const { store } = this.deps
    for (const sub of await store.pushSubscriptions.ofUser(userId))
      await store.pushSubscriptions.remove(sub.id, userId)
    if (email) await store.emails.release(email, userId)
    await store.tokens.removeFor(userId, 'verify')
    await store.tokens.removeFor(userId, 'reset')
    const settings = await store.notifySettings.get(userId)
    await store.notifySettings.update(userId, {
      push: true,
      email: 'off',
      rooms: Object.fromEntries(Object.keys(settings.rooms).map((r) => [r, 'mentions' as const])),
    })
  }
}
