// Which adapters each configuration runs on: MONGODB_URL and REDIS_URL together are the scaled
// mode, neither is the embedded mode, and one alone switches only its own half.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MongoClient } from 'mongodb'
import t from 'tap'
import { adaptersFor } from '../src/adapters/select.ts'
import { loadConfig } from '../src/config.ts'
import { isolatedMongoUrl, mongoUrl, needServer, redisUrl, uniquePrefix } from './helpers/servers.ts'

const silent = { debug() {}, info() {}, warn() {}, error() {} }

const cases = [
  {
    mongo: false,
    redis: false,
    want: { store: 'sqlite', files: 'disk', bus: 'memory', presenceTtl: Infinity },
  },
  {
    mongo: true,
    redis: false,
    want: { store: 'mongodb', files: 'gridfs', bus: 'memory', presenceTtl: Infinity },
  },
  { mongo: false, redis: true, want: { store: 'sqlite', files: 'disk', bus: 'redis', presenceTtl: 15 } },
  { mongo: true, redis: true, want: { store: 'mongodb', files: 'gridfs', bus: 'redis', presenceTtl: 15 } },
]

for (const { mongo, redis, want } of cases) {
  t.test(`MONGODB_URL ${mongo ? 'set' : 'unset'}, REDIS_URL ${redis ? 'set' : 'unset'}`, async (t) => {
    if (mongo && !needServer(t, 'MongoDB', mongoUrl)) return
    if (redis && !needServer(t, 'Redis', redisUrl)) return
    const dataDir = mkdtempSync(join(tmpdir(), 'roomchat-adapters-'))
    t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
    const env: Record<string, string> = { DATA_DIR: dataDir, JWT_SECRET: 'x'.repeat(32) }
    if (mongo) env.MONGODB_URL = isolatedMongoUrl(mongoUrl!)
    if (redis) Object.assign(env, { REDIS_URL: redisUrl!, REDIS_PREFIX: uniquePrefix() })
    const adapters = await adaptersFor(loadConfig(env), silent)
    t.same(
      {
        store: adapters.store.kind,
        files: adapters.fileBytes.kind,
        bus: adapters.bus.kind,
        presenceTtl: adapters.presence.ttlSeconds,
      },
      want,
    )
    await t.resolves(adapters.ping(), 'the store and the bus answer')
    // The halves work together: a value, a limit and a hold go through the sharing half.
    await adapters.ephemeral.put('k', 'v', 10)
    t.equal(await adapters.ephemeral.get('k'), 'v')
    t.equal((await adapters.limiter('l', { points: 1, seconds: 10 }).consume('k')).allowed, true)
    await adapters.close()
    await t.rejects(adapters.ping(), 'closed: neither half answers')
    if (env.MONGODB_URL) {
      const client = await MongoClient.connect(env.MONGODB_URL)
      await client.db().dropDatabase()
      await client.close()
    }
  })
}
