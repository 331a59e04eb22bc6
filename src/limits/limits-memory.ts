// The in-process Limits of the embedded mode: one instance, so its counters are the truth.
import { RateLimiterMemory } from 'rate-limiter-flexible'
import { flexibleLimiter } from './flexible.ts'
import type { Limiter, LimiterFactory, LimitRule } from './limits.ts'

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
    const limiter = flexibleLimiter(impl, rule.points)
    byName.set(name, { rule, limiter })
    return limiter
  }
}
