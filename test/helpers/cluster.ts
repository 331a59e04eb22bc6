// A deployment under test: real server processes (./instance.ts) over a MongoDB database of its
// own and a given Redis, as instances behind a load balancer run.
import { MongoClient } from 'mongodb'
import type { Test } from 'tap'
import { ADMIN, RAISED_LIMITS } from './app.ts'
import { ServerProcess } from './instance.ts'
import { freePort } from './ports.ts'
import { removeDir, tempDir } from './process.ts'
import { isolatedMongoUrl, mongoUrl, uniquePrefix } from './servers.ts'

/** The instances serve /metrics with this Bearer token (off the API port without one). */
export const METRICS_TOKEN = 'cluster-metrics-token-0123456789'

/**
 * Starts `count` instances (three by default) over a database of their own (dropped afterwards)
 * and the given Redis, with the abuse limits raised and argon2 cheap so that tests spend their
 * time on what they test; all killed at teardown. Resolves once every instance is ready.
 */
export async function startCluster(
  t: Test,
  name: string,
  redis: string,
  extra: Record<string, string> = {},
  count = 3,
): Promise<{ servers: ServerProcess[]; outputs: () => string; mongo: string }> {
  const mongo = isolatedMongoUrl(mongoUrl!)
  t.teardown(async () => {
    const client = new MongoClient(mongo)
    await client
      .db()
      .dropDatabase()
      .catch(() => {})
    await client.close()
  })
  const env = {
    MONGODB_URL: mongo,
    REDIS_URL: redis,
    REDIS_PREFIX: uniquePrefix(),
    JWT_SECRET: `${name}-test-secret-0123456789-0123456789`,
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    LOG_LEVEL: 'warn',
    METRICS_TOKEN,
    ...RAISED_LIMITS,
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    ...extra,
  }
  const servers: ServerProcess[] = []
  for (let i = 0; i < count; i++) {
    const dataDir = tempDir(`${name}${i}`)
    t.teardown(() => removeDir(dataDir))
    servers.push(new ServerProcess(`instance ${i}`, await freePort(), { ...env, DATA_DIR: dataDir }))
  }
  t.teardown(() => Promise.all(servers.map((s) => s.kill('SIGKILL'))))
  const startedAt = Date.now()
  await Promise.all(servers.map((s) => s.ready()))
  t.comment(`${count} instances ready in ${Date.now() - startedAt} ms`)
  const outputs = () =>
    servers
      .map((s) => `--- ${s.name} (${s.alive ? 'alive' : 'dead'}):\n${s.output().slice(-3000)}`)
      .join('\n')
  return { servers, outputs, mongo }
}
