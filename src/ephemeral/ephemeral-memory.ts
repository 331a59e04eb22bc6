import type { Ephemeral } from './ephemeral.ts'

export function createMemoryEphemeral(now: () => number = Date.now): Ephemeral {
  const values = new Map<string, { value: string; until: number }>()
  const live = (key: string) => {
    const e = values.get(key)
    if (e && e.until <= now()) values.delete(key)
    return e && e.until > now() ? e : undefined
  }
  // Expired entries are also swept now and then, so keys never read again do not pile up.
  const sweep = setInterval(() => {
    const t = now()
    for (const [k, e] of values) if (e.until <= t) values.delete(k)
  }, 60_000)
  sweep.unref()
  return {
    async put(key, value, ttl) {
      values.set(key, { value, until: now() + ttl * 1000 })
    },
    async get(key) {
      return live(key)?.value ?? null
    },
    async take(key) {
      const e = live(key)
      values.delete(key)
      return e ? e.value : null
    },
    async claim(key, ttl) {
      if (live(key)) return false
      values.set(key, { value: '1', until: now() + ttl * 1000 })
      return true
    },
  }
}
