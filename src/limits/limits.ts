// The Limits port: rate limits, as counters of events per key over a fixed window. Counted in
// process memory in the embedded mode (limits-memory.ts) and in Redis in the scaled mode
// (limits-redis.ts), where a limit holds across every instance.
//
// Guarantees (test/contract/limits.test.ts checks them on every implementation):
// - A rule allows `points` events per key per window of `seconds`; the window starts at the
//   key's first event and, once over, the key starts afresh.
// - Limiters of the same name count together: in one process, and on every instance over one
//   Redis and prefix. Different names and different keys never share a count.
// - Concurrent events are all counted, none twice: of N at once against `points`, exactly
//   `points` are allowed.
// - `retryAfter` is the seconds until the key's window frees a point again: above 0 and at most
//   the rule's `seconds`.
// - `refund` takes back one event of the key's current window, on every instance; it never
//   lowers a count below zero nor carries into a later window, so refunds never allow more
//   than the rule.
// Implementations report what happened and never throw for a refusal; what a refusal means (a 429
// RATE_LIMITED, a lockout) is decided by the services (src/enforce-limit.ts).

export interface LimitRule {
  /** Allowed events per window. */
  points: number
  /** Window length in seconds. */
  seconds: number
}

export interface Consumed {
  /** Whether this event was within the rule; a refused event is counted all the same. */
  allowed: boolean
  retryAfter: number
}

export interface Counted {
  /** The rule is used up: the next event would be refused. */
  over: boolean
  /** This very event used it up. */
  crossed: boolean
  retryAfter: number
}

export interface Limiter {
  /** Counts one event for `key` and says whether it was allowed. */
  consume(key: string): Promise<Consumed>
  /** Counts one event for `key` and says whether the rule is now used up (failures that lock out). */
  count(key: string): Promise<Counted>
  /** Whole seconds (at least 1) until `key` may act again; 0 while it is within the rule. Counts nothing. */
  wait(key: string): Promise<number>
  /** Forgets `key`'s events (a successful login clears its failures). */
  reset(key: string): Promise<void>
  /**
   * Takes back one event counted for `key` in its current window (a repeated send that stored
   * nothing new); nothing when the key has no event left in the window.
   */
  refund(key: string): Promise<void>
}

/**
 * A limiter for `name` under `rule`; the name keeps its counts apart from every other limiter's.
 * A name has one rule wherever it is used.
 */
export type LimiterFactory = (name: string, rule: LimitRule) => Limiter
