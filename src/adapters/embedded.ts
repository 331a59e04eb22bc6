// The embedded mode: one process holds everything. The store is one SQLite file and the files'
// bytes are files, both under DATA_DIR; the bus, presence, rate limits and short-lived values
// live in memory, which is exact because there is no other instance to share them with.
import { join } from 'node:path'
import { createMemoryBus } from '../bus/bus-memory.ts'
import { createMemoryEphemeral } from '../ephemeral/ephemeral-memory.ts'
import { diskFiles } from '../files/files-disk.ts'
import { createMemoryLimiters } from '../limits/limits-memory.ts'
import type { Logger } from '../logger.ts'
import { createMemoryPresence } from '../presence/presence-memory.ts'
import { openSqliteStore } from '../store/sqlite/index.ts'
import { type Adapters, joinAdapters, type Sharing, type Storage } from './adapters.ts'

export function embeddedStorage(dataDir: string): Storage {
  const store = openSqliteStore(dataDir)
  return {
    store,
    fileBytes: diskFiles(join(dataDir, 'files')),
    ping: () => store.ping(),
    close: () => store.close(),
  }
}

export function embeddedSharing(log: Logger): Sharing {
  const bus = createMemoryBus((err) => log.warn({ err }, 'bus error'))
  return {
    bus,
    presence: createMemoryPresence(),
    limiter: createMemoryLimiters(),
    ephemeral: createMemoryEphemeral(),
    ping: () => bus.ping(),
    close: () => bus.close(),
  }
}

/** Everything in this process and under `dataDir`. */
export function embedded(dataDir: string, log: Logger): Promise<Adapters> {
  return joinAdapters(embeddedStorage(dataDir), async () => embeddedSharing(log))
}
