// Waiting in tests: a pause, a condition polled until it holds, a promise given a deadline.
// Each fails with what it waited for, so a hang reads as a failure that names itself.

/** What a wait is for; a function is asked only on failure, so it can report the state then. */
export type Description = string | (() => string)

const describe = (what: Description) => (typeof what === 'function' ? what() : what)

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Polls `check` until it is true; rejects naming `what` (and the time waited) after `ms`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: Description,
  ms = 10_000,
): Promise<void> {
  const started = Date.now()
  for (;;) {
    if (await check()) return
    if (Date.now() - started > ms) throw new Error(`timed out after ${ms} ms waiting for ${describe(what)}`)
    await sleep(10)
  }
}

/** Resolves as `promise` does, or rejects naming `what` after `ms`. */
export function within<T>(promise: Promise<T>, what: Description, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${describe(what)}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
