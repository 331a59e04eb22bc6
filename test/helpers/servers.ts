// Where the real Redis and MongoDB-wire servers are, for the tests that need them.
// The app runs scaled when MONGODB_URL / REDIS_URL are set; the contract suites also find the
// servers through TEST_MONGODB_URL / TEST_REDIS_URL, so they test every adapter in every run.
// Under CI a missing server is a failure; elsewhere the test says loudly that it was skipped.
import type { Test } from 'tap'

export const mongoUrl = process.env.MONGODB_URL || process.env.TEST_MONGODB_URL || undefined
export const redisUrl = process.env.REDIS_URL || process.env.TEST_REDIS_URL || undefined
// CI systems set CI to many things (true, 1, yes, a provider's name): any value but an explicit
// no counts, so that a missing server can never pass as a skip there.
const ci = (process.env.CI ?? '').trim().toLowerCase()
export const inCI = ci !== '' && ci !== 'false' && ci !== '0'

/** True when the server is there; otherwise fails the test under CI, or skips it loudly. */
export function needServer(t: Test, name: 'MongoDB' | 'Redis', url: string | undefined): url is string {
  if (url) return true
  const variable = name === 'MongoDB' ? 'MONGODB_URL or TEST_MONGODB_URL' : 'REDIS_URL or TEST_REDIS_URL'
  if (inCI) {
    t.fail(`${name} is required in CI: set ${variable}`)
  } else {
    console.error(`\n*** SKIPPED: no ${name} server (set ${variable}; see scripts/servers.sh) ***\n`)
    t.plan(0, `no ${name} server`)
  }
  return false
}

/**
 * True when a program the test runs (nginx, redis-server, Chromium) is there; otherwise fails
 * the test under CI, or skips it loudly, as `needServer` does for servers.
 */
export function needProgram<T>(t: Test, name: string, found: T | null | false, hint: string): found is T {
  if (found !== null && found !== false) return true
  if (inCI) {
    t.fail(`${name} is required in CI (${hint})`)
  } else {
    console.error(`\n*** SKIPPED: no ${name} (${hint}) ***\n`)
    t.plan(0, `no ${name}`)
  }
  return false
}

let counter = 0
/** A database URL of its own for one test, on the same server. */
export function isolatedMongoUrl(base: string): string {
  const url = new URL(base)
  url.pathname = `/t_${process.pid}_${Date.now().toString(36)}_${counter++}`
  return url.toString()
}

export const uniquePrefix = () => `t${process.pid}${Date.now().toString(36)}${counter++}:`
