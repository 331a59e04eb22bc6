// Redis Limits: each counter is a Redis key with the window as its expiry (rate-limiter-flexible
// increments and sets the expiry in one atomic step), so every instance counts into the same key.
import type { Redis } from 'ioredis'
import { RateLimiterRedis } from 'rate-limiter-flexible'
import { flexibleLimiter } from './flexible.ts'
import type { LimiterFactory } from './limits.ts'

export function createRedisLimiters(redis: Redis, prefix: string): LimiterFactory {
  return (name, { points, seconds }) =>
    flexibleLimiter(
      new RateLimiterRedis({
        points,
        duration: seconds,
        keyPrefix: `${prefix}rl:${name}`,
        storeClient: redis,
      }),
      points,
    )
}
