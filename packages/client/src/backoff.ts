// Reconnect delays: exponential, capped, with jitter so that clients dropped together (an
// instance restarting) do not all come back in the same millisecond.

export interface BackoffOptions {
  /** Delay before the first retry. */
  initialMs: number
  /** Upper bound of any delay. */
  maxMs: number
  /** Growth per failed attempt. */
  factor: number
  /** Share of the delay that is random: 0 = none, 1 = anywhere between 0 and the delay. */
  jitter: number
}

export const defaultBackoff: BackoffOptions = { initialMs: 250, maxMs: 15_000, factor: 2, jitter: 0.5 }

/** The delay before retry number `attempt` (0 for the first). */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const base = Math.min(options.maxMs, options.initialMs * options.factor ** Math.max(0, attempt))
  return Math.max(0, Math.round(base * (1 - options.jitter * random())))
}
