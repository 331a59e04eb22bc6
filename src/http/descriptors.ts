// How many connections the listener may hold so that descriptors remain for everything else.
// At the descriptor limit the kernel refuses accept() with EMFILE and libuv quietly accepts and
// closes the waiting connections (its "EMFILE trick"): nothing reaches the application, clients
// see resets, and the store, the bus and file reads fail for want of a descriptor. A cap below
// the limit makes the refusal the server's own (Node's `maxConnections`: accepted, closed at
// once, and reported), and keeps a reserve for the rest of the process.
import { readFileSync } from 'node:fs'

/** Descriptors kept for the process itself: its files, the store's and the bus's connections. */
export const RESERVE_MIN = 128
export const RESERVE_SHARE = 0.1

/** The soft limit on open descriptors (RLIMIT_NOFILE), where the platform shows it (Linux). */
export function descriptorLimit(limits = '/proc/self/limits'): number | undefined {
  try {
    const line = readFileSync(limits, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'))
    const soft = Number(line?.split(/\s{2,}/)[1])
    return Number.isSafeInteger(soft) && soft > 0 ? soft : undefined
  } catch {
    return undefined
  }
}

/**
 * The connection cap: `configured` when set (0: none), else the descriptor limit less a reserve
 * (at least half the limit), or none when the limit is unknown or unlimited.
 */
export function connectionCap(configured: number | undefined, limit: number | undefined): number {
  if (configured !== undefined) return configured
  if (limit === undefined) return 0
  const reserve = Math.max(RESERVE_MIN, Math.ceil(limit * RESERVE_SHARE))
  return Math.max(limit - reserve, Math.floor(limit / 2))
}
