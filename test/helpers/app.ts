// Builds the app exactly as production does, on the backend the environment selects, each
// test on its own data (a temp DATA_DIR, a database and a Redis prefix of its own).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MongoClient } from 'mongodb'
import type { Test } from 'tap'
import { type App, buildApp } from '../../src/app.ts'
import { type Config, loadConfig } from '../../src/config.ts'
import { isolatedMongoUrl, mongoUrl, redisUrl, uniquePrefix } from './servers.ts'

export const scaled = Boolean(process.env.MONGODB_URL || process.env.REDIS_URL)
export const backendName = scaled ? 'mongodb+redis' : 'sqlite+memory'
export const ADMIN = { username: 'admin', password: 'admin-password-1' }

/**
 * The abuse limits raised out of the way: tests that are about a limit lower it again, the
 * others must not trip over them. For in-process apps (sharedEnv) and server processes (cluster.ts).
 */
export const RAISED_LIMITS: Readonly<Record<string, string>> = {
  RATE_LOGIN_IP: '100000',
  RATE_LOGIN_USER: '100000',
  RATE_LOGIN_USER_IP: '100000',
  RATE_REGISTER_IP: '100000',
  RATE_POST_USER: '100000',
  RATE_MESSAGE_USER: '100000',
  RATE_TICKET_USER: '100000',
  WS_FRAMES_PER_SECOND: '1000',
}

export interface Shared {
  env: Record<string, string>
  cleanup: () => Promise<void>
}

/**
 * The environment for one deployment under test: instances built from the same `Shared` see
 * the same data, as instances behind a load balancer do.
 */
export function sharedEnv(
  t: Test,
  extra: Record<string, string> = {},
  servers: { scaled?: boolean } = {},
): Shared {
  const dataDir = mkdtempSync(join(tmpdir(), 'roomchat-test-'))
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    JWT_SECRET: 'test-secret-test-secret-test-secret-0123',
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    ...RAISED_LIMITS,
    ...extra,
  }
  // `scaled` asks for the real servers whatever the run's backend (multi-instance tests).
  const mongo = servers.scaled ? mongoUrl : process.env.MONGODB_URL
  const redis = servers.scaled ? redisUrl : process.env.REDIS_URL
  if (mongo) env.MONGODB_URL = isolatedMongoUrl(mongo)
  if (redis) {
    env.REDIS_URL = redis
    env.REDIS_PREFIX = uniquePrefix()
  }
  const cleanup = async () => {
    rmSync(dataDir, { recursive: true, force: true })
    if (env.MONGODB_URL) {
      const client = new MongoClient(env.MONGODB_URL)
      await client
        .db()
        .dropDatabase()
        .catch(() => {})
      await client.close()
    }
  }
  t.teardown(cleanup)
  return { env, cleanup }
}

/** Builds one instance over `shared` (or a fresh deployment), with the admin ensured. */
export async function buildTestApp(
  t: Test,
  shared: Shared = sharedEnv(t),
  extra: Record<string, string> = {},
): Promise<App> {
  const config: Config = loadConfig({ ...shared.env, ...extra })
  const app = await buildApp(config, { logger: false })
  t.teardown(() => app.close())
  await app.core.accounts.ensureAdmin(config.ADMIN_USERNAME, config.ADMIN_PASSWORD)
  await app.ready()
  return app
}
