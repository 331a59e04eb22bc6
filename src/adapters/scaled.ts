// The scaled mode: any number of identical instances. The store is MongoDB and the files' bytes
// are in GridFS on the same database; the bus, presence, rate limits and short-lived values are
// in Redis, on one command connection (the bus subscribes on a connection of its own).
import { Redis } from 'ioredis'
import { createRedisBus } from '../bus/bus-redis.ts'
import { createRedisEphemeral } from '../ephemeral/ephemeral-redis.ts'
import { gridfsFiles } from '../files/files-gridfs.ts'
import { newId } from '../ids.ts'
import { createRedisLimiters } from '../limits/limits-redis.ts'
import type { Logger } from '../logger.ts'
import { createRedisPresence } from '../presence/presence-redis.ts'
import { connectMongo } from '../store/mongo/index.ts'
import { type Adapters, joinAdapters, type Sharing, type Storage } from './adapters.ts'

export async function scaledStorage(mongoUrl: string): Promise<Storage> {
  const { store, db } = await connectMongo(mongoUrl)
  try {
    return { store, fileBytes: await gridfsFiles(db), ping: () => store.ping(), close: () => store.close() }
  } catch (err) {
    await store.close().catch(() => {})
    throw err
  }
}

/** `prefix` starts every key and channel, so deployments can share one Redis. */
export async function scaledSharing(redisUrl: string, prefix: string, log: Logger): Promise<Sharing> {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 3,
    connectionName: 'roomchat',
  })
  redis.on('error', (err) => log.warn({ err }, 'redis error'))
  try {
    await redis.connect()
    const bus = await createRedisBus(redis, prefix, (err) => log.warn({ err }, 'bus error'))
    return {
      bus,
      // Each instance's holds are its own, so a dead instance's expire without the others'.
      presence: createRedisPresence(redis, prefix, newId()),
      limiter: createRedisLimiters(redis, prefix),
      ephemeral: createRedisEphemeral(redis, prefix),
      ping: () => bus.ping(),
      async close() {
        await bus.close()
        redis.disconnect()
      },
    }
  } catch (err) {
    redis.disconnect()
    throw err
  }
}

/** Everything on MongoDB and Redis. */
export async function scaled(
  mongoUrl: string,
  redisUrl: string,
  prefix: string,
  log: Logger,
): Promise<Adapters> {
  return joinAdapters(await scaledStorage(mongoUrl), () => scaledSharing(redisUrl, prefix, log))
}
