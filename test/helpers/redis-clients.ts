// App instances over one Redis, for the contract suites of the Redis adapters: each instance gets
// a connection of its own (as separate processes would), all under one key prefix (one
// deployment), disconnected at teardown.
import { Redis } from 'ioredis'
import type { Test } from 'tap'
import { needServer, redisUrl, uniquePrefix } from './servers.ts'

/**
 * A function that opens one more instance with `open(connection, prefix)`; null when there is
 * no Redis (skipped loudly, or failed under CI).
 */
export function redisInstances<T, A extends unknown[]>(
  t: Test,
  open: (redis: Redis, prefix: string, ...args: A) => T,
): ((...args: A) => Promise<T>) | null {
  if (!needServer(t, 'Redis', redisUrl)) return null
  const url = redisUrl
  const prefix = uniquePrefix()
  const clients: Redis[] = []
  t.teardown(() => {
    for (const c of clients) c.disconnect()
  })
  return async (...args) => {
    const redis = new Redis(url)
    clients.push(redis)
    return open(redis, prefix, ...args)
  }
}
