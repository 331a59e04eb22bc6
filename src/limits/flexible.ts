// Both implementations of the Limits port are rate-limiter-flexible limiters (one in memory, one
// on Redis) with the same surface; this turns one into the port: rejections become outcomes.
import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible'
import type { Limiter } from './limits.ts'

/**
 * `refund` is the implementation's own: the library's `reward` would count below zero, and on
 * a key whose window ended start a new window with a point to spare.
 */
export function flexibleLimiter(
  impl: RateLimiterAbstract,
  points: number,
  refund: (key: string) => Promise<void>,
): Limiter {
  /** The counter after one more event; a refusal rejects with the same shape. */
  const hit = async (key: string): Promise<RateLimiterRes> => {
    try {
      return await impl.consume(key)
    } catch (err) {
      if (err instanceof RateLimiterRes) return err
      throw err
    }
  }
  return {
    async consume(key) {
      const res = await hit(key)
      return { allowed: res.consumedPoints <= points, retryAfter: res.msBeforeNext / 1000 }
    },
    async count(key) {
      const res = await hit(key)
      // Reaching the rule's count is using it up: the next event would be refused.
      return {
        over: res.consumedPoints >= points,
        crossed: res.consumedPoints === points,
        retryAfter: res.msBeforeNext / 1000,
      }
    },
    async wait(key) {
      const res = await impl.get(key)
      return res && res.consumedPoints >= points ? Math.max(1, Math.ceil(res.msBeforeNext / 1000)) : 0
    },
    async reset(key) {
      await impl.delete(key)
    },
    refund,
  }
}
