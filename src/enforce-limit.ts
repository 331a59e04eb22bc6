// Where a rate limit's refusal becomes the contract's answer. The Limits port only counts and
// reports; a service that refuses the request past its limit calls this, and the HTTP layer and the
// socket gateway turn the error into a 429 with Retry-After or an `error` frame.
import { rateLimited } from './errors.ts'
import type { Limiter } from './limits/limits.ts'

/** Counts one event for `key`; throws 429 RATE_LIMITED (with Retry-After) when the rule refuses it. */
export async function enforceLimit(limiter: Limiter, key: string): Promise<void> {
  const { allowed, retryAfter } = await limiter.consume(key)
  if (!allowed) throw rateLimited(retryAfter)
}
