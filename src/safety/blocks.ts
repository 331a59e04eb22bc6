// Blocks: a user's list of the users they block. Its effects live where they apply: a direct
// room of a blocked pair cannot be opened (RoomService.openDm) nor written to (ChatService),
// whichever of the two blocked (both ways, so that the blocker is not left writing into a
// conversation the other cannot answer); the notifications worker asks `notifyBlocks`.
// Every block and unblock goes through the chat state's `watch`, so each instance's kept lists
// are dropped at once, as a mute is.
import { AppError, invalid, notFound } from '../errors.ts'
import type { Blocks } from '../notify/blocks.ts'
import type { ChatState } from '../rooms/chat-state.ts'
import type { Store } from '../store/store.ts'

/** How many users one may block. */
export const MAX_BLOCKS = 1000

export const blockedError = () =>
  new AppError(403, 'BLOCKED', 'One of you blocked the other: this direct conversation is closed')

/** True when either of the two blocks the other. */
export async function eitherBlocks(
  blocksOf: (userId: string) => Promise<Iterable<string>>,
  a: string,
  b: string,
): Promise<boolean> {
  const [ofA, ofB] = await Promise.all([blocksOf(a), blocksOf(b)])
  return new Set(ofA).has(b) || new Set(ofB).has(a)
}

/** The notifications' check, from the lists each instance keeps. */
export const notifyBlocks = (state: Pick<ChatState, 'blocks'>): Blocks => ({
  blocks: async (userId, otherId) => (await state.blocks(userId)).has(otherId),
})

export class BlockService {
  constructor(private readonly store: Pick<Store, 'users' | 'blocks'>) {}

  /** Idempotent. 400 for oneself, 404 for no such user, 409 TOO_MANY_BLOCKS past the limit. */
  async block(userId: string, otherId: string): Promise<void> {
    if (otherId === userId) throw invalid('You cannot block yourself')
    if (!(await this.store.users.get(otherId))) throw notFound('User')
    const result = await this.store.blocks.add(userId, otherId, new Date(), MAX_BLOCKS)
    if (result === 'full')
      throw new AppError(
        409,
        'TOO_MANY_BLOCKS',
        `You block ${MAX_BLOCKS} users already: unblock someone first`,
      )
  }

  /** Idempotent: unblocking someone not blocked is no error. */
  async unblock(userId: string, otherId: string): Promise<void> {
    await this.store.blocks.remove(userId, otherId)
  }
}
