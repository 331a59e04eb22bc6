// Whom the signed-in user blocks: `me().blocked` as the session read it, kept in step with each
// block and unblock made in this tab, so every page that hides or collapses someone follows at
// once (a room's messages and typing, a direct room's composer, the personal centre's list).
import { computed } from 'vue'
import { http, state } from '../session.ts'

const blockedIds = computed<ReadonlySet<string>>(() => new Set(state.user?.blocked ?? []))

async function block(userId: string): Promise<void> {
  await http.block(userId)
  const user = state.user
  if (user && !user.blocked.includes(userId)) user.blocked = [...user.blocked, userId]
}

async function unblock(userId: string): Promise<void> {
  await http.unblock(userId)
  const user = state.user
  if (user) user.blocked = user.blocked.filter((id) => id !== userId)
}

export function useBlocks() {
  return { blockedIds, isBlocked: (userId: string) => blockedIds.value.has(userId), block, unblock }
}
