// Redis Limits: each counter is a Redis key with the window as its expiry (rate-limiter-flexible
// increments and sets the expiry in one atomic step), so every instance counts into the same key.
import type { Redis } from 'ioredis'
import { RateLimiterRedis } from 'rate-limiter-flexible'
import { flexibleLimiter } from './flexible.ts'
import type { LimiterFactory } from './limits.ts'

/**
 * One event taken back, atomically: only from a live window's count above zero (DECR keeps the
 * key's expiry, so the window ends when it would have); a key that expired is not created again.
 */
const REFUND = `local n = tonumber(redis.call('get', KEYS[1]))
if n and n > 0 then redis.call('decr', KEYS[1]) end
return 0`

export function createRedisLimiters(redis: Redis, prefix: string): LimiterFactory {
  return (name, { points, seconds }) => {
    const impl = new RateLimiterRedis({
      points,
      duration: seconds,
      keyPrefix: `${prefix}rl:${name}`,
      storeClient: redis,
    })
    return flexibleLimiter(impl, points, async (key) => {
      await redis.eval(REFUND, 1, impl.getKey(key))
    })
  }
}
