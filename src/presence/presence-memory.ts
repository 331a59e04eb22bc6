// The in-process Presence of the embedded mode: one instance, so its holds are the truth.
import type { Presence } from './presence.ts'

export function createMemoryPresence(): Presence {
  const rooms = new Map<string, Set<string>>()
  return {
    ttlSeconds: Number.POSITIVE_INFINITY,
    async hold(entries) {
      for (const { room, user } of entries) {
        const set = rooms.get(room) ?? new Set<string>()
        rooms.set(room, set)
        set.add(user)
      }
    },
    async release(room, user) {
      const set = rooms.get(room)
      set?.delete(user)
      if (set?.size === 0) rooms.delete(room)
    },
    async online(room) {
      return [...(rooms.get(room) ?? [])].sort()
    },
    async onlineMany(list) {
      return list.map((room) => [...(rooms.get(room) ?? [])].sort())
    },
  }
}
