// The in-process Limits of the embedded mode: one instance, so its counters are the truth.
import { RateLimiterMemory } from 'rate-limiter-flexible'
import { flexibleLimiter } from './flexible.ts'
import type { Limiter, LimiterFactory, LimitRule } from './limits.ts'

/**
 * A window about to end is left alone: its end frees the point anyway, and the library's
 * `reward` on a window that ended in between would open a new one with a point to spare.
 */
const REFUND_MARGIN_MS = 100

export function createMemoryLimiters(): LimiterFactory {
  // One counter store per name, so two limiters of one name count together, as they do on Redis.
  const byName = new Map<string, { rule: LimitRule; limiter: Limiter }>()
  return (name, rule) => {
    const known = byName.get(name)
    if (known) {
      if (known.rule.points !== rule.points || known.rule.seconds !== rule.seconds)
        throw new Error(`limiter ${name} asked for with two different rules`)
      return known.limiter
    }
    const impl = new RateLimiterMemory({ points: rule.points, duration: rule.seconds, keyPrefix: name })
    // Refunds go one after the other: two at once would both read the count before either
    // takes one back, and take it below zero. (Events counted in between only add to it.)
    let refunds: Promise<void> = Promise.resolve()
    const refundOne = async (key: string) => {
      const res = await impl.get(key)
      if (res && res.consumedPoints > 0 && res.msBeforeNext > REFUND_MARGIN_MS) await impl.reward(key)
    }
    const limiter = flexibleLimiter(impl, rule.points, (key) => {
      const mine = refunds.then(() => refundOne(key))
      refunds = mine.catch(() => {})
      return mine
    })
    byName.set(name, { rule, limiter })
    return limiter
  }
}
