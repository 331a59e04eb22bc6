// The adapters the configuration asks for. MONGODB_URL and REDIS_URL together are the scaled
// mode, neither is the embedded mode; one alone switches only its own half (a MongoDB store for
// a single instance, say), as docs/operations.md says.
import type { Config } from '../config.ts'
import type { Logger } from '../logger.ts'
import { type Adapters, joinAdapters } from './adapters.ts'
import { embedded, embeddedSharing, embeddedStorage } from './embedded.ts'
import { scaled, scaledSharing, scaledStorage } from './scaled.ts'

export async function adaptersFor(config: Config, log: Logger): Promise<Adapters> {
  const { MONGODB_URL: mongo, REDIS_URL: redis, REDIS_PREFIX: prefix, DATA_DIR: dataDir } = config
  if (mongo && redis) return scaled(mongo, redis, prefix, log)
  if (!mongo && !redis) return embedded(dataDir, log)
  return joinAdapters(mongo ? await scaledStorage(mongo) : embeddedStorage(dataDir), async () =>
    redis ? scaledSharing(redis, prefix, log) : embeddedSharing(log),
  )
}
