// The signed-in user's rooms and direct conversations, for the sidebar: read at sign-in
// (GET /api/rooms?mine=true), again when a room appears that the list does not have (one just
// joined or created, a direct room someone else opened: the badges name it first), and a room
// left, deleted or kicked from drops out at once (`removed` frame). Their badges are unread.ts's.
import type { RemovedFrame } from '@roomchat/client'
import { computed, ref, watch } from 'vue'
import { eachSocket, http, state } from './session.ts'
import type { Room } from './types.ts'
import { badges } from './unread.ts'

/** Rooms listed at most: the sidebar is for the rooms one is in, the room list for the rest. */
const LIMIT = 100
export const myRooms = ref<Room[]>([])
export const loaded = ref(false)

export const nameOf = (r: Room) => (r.kind === 'dm' ? (r.peer?.displayName ?? r.name) : r.name)
/** Rooms apart from direct conversations, each by name: the sidebar's order, and Alt+↑/↓'s. */
export const groupRooms = computed(() =>
  myRooms.value.filter((r) => r.kind !== 'dm').sort((a, b) => a.name.localeCompare(b.name)),
)
export const directRooms = computed(() =>
  myRooms.value.filter((r) => r.kind === 'dm').sort((a, b) => nameOf(a).localeCompare(nameOf(b))),
)
export const sidebarOrder = computed(() => [...groupRooms.value, ...directRooms.value])

let reading: Promise<void> | null = null
export function refreshMyRooms(): Promise<void> {
  if (!state.user) return Promise.resolve()
  reading ??= http
    .rooms({ mine: true, limit: LIMIT })
    .then((page) => {
      myRooms.value = page.items
      loaded.value = true
    })
    .catch(() => {})
    .finally(() => {
      reading = null
    })
  return reading
}

/** A room the page just showed (joined, opened): listed at once if it was not. */
export function knowRoom(room: Room) {
  const i = myRooms.value.findIndex((r) => r.id === room.id)
  if (i < 0) myRooms.value = [...myRooms.value, room]
  else if (room.kind !== 'dm' || room.peer) myRooms.value[i] = { ...myRooms.value[i], ...room }
}
export function forgetRoom(id: string) {
  myRooms.value = myRooms.value.filter((r) => r.id !== id)
}

eachSocket((s) => {
  void refreshMyRooms()
  s.on('removed', (f: RemovedFrame) => forgetRoom(f.room))
})
// A badge for a room not listed: someone opened a direct conversation, or the list is old.
watch(
  () => [...badges.keys()].some((id) => !myRooms.value.some((r) => r.id === id)),
  (unknown) => {
    if (unknown && loaded.value) void refreshMyRooms()
  },
)
watch(
  () => state.user?.id,
  () => {
    myRooms.value = []
    loaded.value = false
  },
)
