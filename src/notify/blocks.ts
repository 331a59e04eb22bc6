// Whether a user blocked another: a blocked user's mentions, replies and direct messages notify
// the blocker of nothing. Blocking itself is not built yet; the worker asks this port for every
// recipient, so that the blocking feature only has to implement it (from the store or a kept set).
export interface Blocks {
  /** True when `userId` blocked `otherId`. */
  blocks(userId: string, otherId: string): Promise<boolean>
}

/** Until blocking exists: nobody blocks anybody. */
export const noBlocks: Blocks = { blocks: async () => false }
