// The Ephemeral port: short-lived values every instance can see (WebSocket tickets, used TOTP
// codes, addresses where a user signed in). Process memory in the embedded mode
// (ephemeral-memory.ts), Redis keys with an expiry in the scaled mode (ephemeral-redis.ts).
//
// Guarantees (test/contract/ephemeral.test.ts checks them on every implementation):
// - A value is seen by every instance from the moment `put` or `claim` resolves until its
//   `ttlSeconds` run out; after that it is absent, without anyone deleting it.
// - `put` replaces a value and its expiry.
// - `take` and `claim` are atomic: of concurrent callers on any instances exactly one gets the
//   value / the claim.

export interface Ephemeral {
  put(key: string, value: string, ttlSeconds: number): Promise<void>
  /** The value, left in place; null when absent or expired. */
  get(key: string): Promise<string | null>
  /** Returns the value and deletes it, atomically; null when absent or expired. */
  take(key: string): Promise<string | null>
  /** Sets the key if absent; true for the one caller that set it. */
  claim(key: string, ttlSeconds: number): Promise<boolean>
}
