// The complete set of adapters one instance runs on, in two halves: where data stays (the store
// and the files' bytes) and what the instances of a deployment share while they run (the bus,
// presence, rate limits and short-lived values). embedded.ts and scaled.ts build each half;
// src/core.ts wires the services from the set, and nothing else picks an adapter.
import type { Bus } from '../bus/bus.ts'
import type { Ephemeral } from '../ephemeral/ephemeral.ts'
import type { Files } from '../files/files.ts'
import type { LimiterFactory } from '../limits/limits.ts'
import type { Presence } from '../presence/presence.ts'
import type { Store } from '../store/store.ts'

/** Where data stays: it outlives the process and every instance reads the same. */
export interface Storage {
  readonly store: Store
  /** The bytes of the files posted in rooms, beside the store. */
  readonly fileBytes: Files
  ping(): Promise<void>
  close(): Promise<void>
}

/** What the instances share while they run; nothing here needs to survive a restart of all of them. */
export interface Sharing {
  readonly bus: Bus
  readonly presence: Presence
  readonly limiter: LimiterFactory
  readonly ephemeral: Ephemeral
  ping(): Promise<void>
  close(): Promise<void>
}

export interface Adapters extends Omit<Storage, 'ping' | 'close'>, Omit<Sharing, 'ping' | 'close'> {
  /** Resolves when the store and the bus answer. */
  ping(): Promise<void>
  /** Closes the store first (nothing is written after), then the bus and what it runs on. */
  close(): Promise<void>
}

/** The two halves as one set; when the sharing half fails to open, the storage half is closed again. */
export async function joinAdapters(storage: Storage, openSharing: () => Promise<Sharing>): Promise<Adapters> {
  let sharing: Sharing
  try {
    sharing = await openSharing()
  } catch (err) {
    await storage.close().catch(() => {})
    throw err
  }
  const { store, fileBytes } = storage
  const { bus, presence, limiter, ephemeral } = sharing
  return {
    store,
    fileBytes,
    bus,
    presence,
    limiter,
    ephemeral,
    async ping() {
      await Promise.all([storage.ping(), sharing.ping()])
    },
    async close() {
      try {
        await storage.close()
      } finally {
        await sharing.close()
      }
    },
  }
}
