// The rate-limit port. Counters live in process memory in the embedded mode and in Redis in
// the scaled mode, so a limit holds across every instance. Built on rate-limiter-flexible.
import type { Redis } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible'
import { rateLimited } from '../errors.ts'

export interface LimitRule {
  /** Allowed events per window. */
  points: number
  /** Window length in seconds. */
  seconds: number
}

export interface Limiter {
  /** Counts one event for `key`; throws 429 RATE_LIMITED (with Retry-After) past the rule. */
  consume(key: string): Promise<void>
  /**
   * Counts one event for `key` without throwing; says whether the rule is now used up (the next
   * event would be refused), whether this very event used it up, and the seconds until the window
   * frees a point again.
   */
  count(key: string): Promise<{ over: boolean; crossed: boolean; retryAfter: number }>
  /** Seconds until `key` may act again: 0 when it is within the rule. Counts nothing. */
  wait(key: string): Promise<number>
  /** Forgets `key`'s events (a successful login clears its failures). */
  reset(key: string): Promise<void>
}

export type LimiterFactory = (name: string, rule: LimitRule) => Limiter

export function limiterFactory(redis: Redis | null, prefix: string): LimiterFactory {
  return (name, { points, seconds }) => {
    const opts = { points, duration: seconds, keyPrefix: `${prefix}rl:${name}` }
    const impl = redis ? new RateLimiterRedis({ ...opts, storeClient: redis }) : new RateLimiterMemory(opts)
    return {
      async consume(key) {
        try {
          await impl.consume(key)
        } catch (err) {
          if (err instanceof RateLimiterRes) throw rateLimited(err.msBeforeNext / 1000)
          throw err
        }
      },
      async count(key) {
        try {
          const res = await impl.consume(key)
          // Reaching the rule's count is using it up: the next event would be refused.
          return {
            over: res.consumedPoints >= points,
            crossed: res.consumedPoints === points,
            retryAfter: res.msBeforeNext / 1000,
          }
        } catch (err) {
          if (!(err instanceof RateLimiterRes)) throw err
          return { over: true, crossed: false, retryAfter: err.msBeforeNext / 1000 }
        }
      },
      async wait(key) {
        const res = await impl.get(key)
        return res && res.consumedPoints >= points ? Math.max(1, Math.ceil(res.msBeforeNext / 1000)) : 0
      },
      async reset(key) {
        await impl.delete(key)
      },
    }
  }
}
