// Whether the signed-in user reads reports (the sidebar's Moderation link): the server decides,
// so it is asked (one report read: 200 yes, 403 no). Only admins and rooms' creators can get a
// yes, so only they ask, again whenever the rooms they created change (a room created, deleted).
import type { Report } from '@roomchat/client'
import { computed, ref, watch } from 'vue'
import { groupRooms } from './myRooms.ts'
import { http, state } from './session.ts'

export const readsReports = ref(false)

const mayRead = computed(() => {
  const user = state.user
  if (!user) return ''
  const created = groupRooms.value.filter((r) => r.creator.id === user.id).length
  return user.role === 'admin' || created ? `${user.id}:${user.role}:${created}` : ''
})

let asked = 0
watch(
  mayRead,
  async (key) => {
    const mine = ++asked
    if (!key) {
      readsReports.value = false
      return
    }
    const yes = await http.reports({ limit: 1 }).then(
      () => true,
      () => false,
    )
    if (mine === asked) readsReports.value = yes
  },
  { immediate: true },
)

/**
 * A report as it stands now, looked up in the decided ones (there is no read of one report):
 * pages of the newest first, until it is found or the ids pass below its own.
 */
export async function currentReport(id: string): Promise<Report | null> {
  for (const status of ['resolved', 'dismissed'] as const) {
    let cursor: string | undefined
    for (let pages = 0; pages < 10; pages++) {
      const page = await http.reports({ status, limit: 100, ...(cursor ? { cursor } : {}) })
      const found = page.items.find((r) => r.id === id)
      if (found) return found
      const last = page.items.at(-1)
      if (!page.nextCursor || !last || last.id < id) break
      cursor = page.nextCursor
    }
  }
  return null
}
