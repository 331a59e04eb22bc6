// The export of an account (GET /api/me/export) with many messages: a user with M messages
// spread over R rooms (stored fast through the store, in batches), then the zip downloaded over
// HTTP from an in-process server, N times: MB/s of the zip, messages/s, and the process's RSS
// growth while it streams (goals: ≥ 20 MB/s, ≤ 50 MB). Embedded by default; on MongoDB (or
// FerretDB) and Redis when MONGODB_URL and REDIS_URL are set, on a fresh database dropped after.
//
//   node --import tsx bench/export.ts --messages 100000 --rooms 20 --runs 3
//   MONGODB_URL=mongodb://127.0.0.1:27017/bench REDIS_URL=redis://127.0.0.1:6379 node --import tsx bench/export.ts
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MongoClient } from 'mongodb'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { newId } from '../src/ids.ts'
import type { NewMessage } from '../src/store/records.ts'
import { readZip } from '../test/helpers/zip.ts'
import { checkFlags, flagNumber, int, parseFlags } from './lib.ts'

const USAGE = `node --import tsx bench/export.ts [flags]
  --messages M   messages of the exporting user (default 100000)
  --rooms R      rooms they are spread over (default 20)
  --runs N       downloads timed (default 3)
  --batch B      messages stored per appendMany (default 1000)`

const flags = parseFlags()
checkFlags(flags, ['messages', 'rooms', 'runs', 'batch', 'help'], USAGE)
const MESSAGES = flagNumber(flags, 'messages', 100_000)
const ROOMS = flagNumber(flags, 'rooms', 20)
const RUNS = flagNumber(flags, 'runs', 3)
const BATCH = flagNumber(flags, 'batch', 1000)
const MiB = 1024 * 1024

const WORDS =
  'hello there chat room message today tomorrow meeting lunch coffee code review deploy ship fix bug test idea plan weekend music film book 你好 聊天 明天 见'.split(
    ' ',
  )
let seed = 1
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0
  let x = seed
  x = Math.imul(x ^ (x >>> 15), x | 1)
  x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296
}
const sentence = () =>
  Array.from(
    { length: 5 + Math.floor(random() * 25) },
    () => WORDS[Math.floor(random() * WORDS.length)],
  ).join(' ')

const dataDir = mkdtempSync(join(tmpdir(), 'bench-export-'))
const mongo = process.env.MONGODB_URL
  ? `${process.env.MONGODB_URL.replace(/\/[^/?]*(\?|$)/, `/bench_export_${process.pid}$1`)}`
  : undefined
const config = loadConfig({
  DATA_DIR: dataDir,
  LOG_LEVEL: 'silent',
  JWT_SECRET: 'bench-secret-bench-secret-bench-secret-01',
  RATE_EXPORTS_PER_DAY: '1000',
  RATE_REGISTER_IP: '1000',
  ...(mongo ? { MONGODB_URL: mongo } : {}),
  ...(process.env.REDIS_URL
    ? { REDIS_URL: process.env.REDIS_URL, REDIS_PREFIX: `bench-export-${process.pid}:` }
    : {}),
})
const app = await buildApp(config, { logger: false })
try {
  await app.ready()
  const [code] = await app.core.codes.mint('invite', { count: 1, createdBy: null })
  const reg = await app.inject({
    method: 'POST',
    url: '/api/auth/register',
    payload: { username: 'exporter', password: 'password-123', inviteCode: code!.code },
  })
  const { token, user } = reg.json() as { token: string; user: { id: string } }
  const from = { id: user.id, username: 'exporter', displayName: 'exporter', avatar: null }
  const store = app.core.internals.store
  const rooms = Array.from({ length: ROOMS }, () => newId())
  for (const [i, id] of rooms.entries())
    await store.rooms.create({
      id,
      name: `Room ${i}`,
      description: '',
      creator: from,
      maxMembers: 500,
      memberCount: 1,
      createdAt: new Date(),
      kind: 'room',
      dm: null,
    })
  const started = performance.now()
  const perRoom = Math.ceil(MESSAGES / ROOMS)
  let stored = 0
  for (const room of rooms) {
    for (let left = Math.min(perRoom, MESSAGES - stored); left > 0; ) {
      const n = Math.min(BATCH, left)
      const batch: NewMessage[] = Array.from({ length: n }, () => ({
        id: newId(),
        roomId: room,
        kind: 'text',
        from,
        text: sentence(),
        file: null,
        clientMsgId: null,
        createdAt: new Date(),
      }))
      await store.messages.appendMany(batch)
      left -= n
      stored += n
    }
  }
  console.log(
    `stored ${int(stored)} messages in ${ROOMS} rooms in ${((performance.now() - started) / 1000).toFixed(1)} s (${store.kind})`,
  )

  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const results: { mbps: number; seconds: number; bytes: number; growth: number }[] = []
  for (let run = 1; run <= RUNS; run++) {
    const before = process.memoryUsage.rss()
    let peak = before
    const t0 = performance.now()
    const zipPath = join(dataDir, `export-${run}.zip`)
    const bytes = await new Promise<number>((resolve, reject) => {
      request({ port, path: '/api/me/export', headers: { authorization: `Bearer ${token}` } }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`export: ${res.statusCode}`))
        let total = 0
        res.on('data', (chunk: Buffer) => {
          total += chunk.length
          peak = Math.max(peak, process.memoryUsage.rss())
        })
        res.pipe(createWriteStream(zipPath)).on('finish', () => resolve(total))
        res.on('error', reject)
      })
        .on('error', reject)
        .end()
    })
    const seconds = (performance.now() - t0) / 1000
    // What the user gets once it is unzipped: the content's pace, whatever the compression.
    const content = [...(await readZip(zipPath)).values()].reduce((sum, e) => sum + e.size, 0)
    const r = { mbps: content / MiB / seconds, seconds, bytes, growth: (peak - before) / MiB }
    results.push(r)
    console.log(
      `run ${run}: ${(content / MiB).toFixed(1)} MiB of content (${(bytes / MiB).toFixed(1)} MiB zip) in ${seconds.toFixed(2)} s: ${r.mbps.toFixed(1)} MiB/s of content, ${(bytes / MiB / seconds).toFixed(1)} MiB/s on the wire, ${int(stored / seconds)} messages/s, RSS growth ${r.growth.toFixed(1)} MiB`,
    )
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  console.log(
    `median of ${RUNS}: ${median(results.map((r) => r.mbps)).toFixed(1)} MiB/s of content (${Math.min(...results.map((r) => r.mbps)).toFixed(1)}–${Math.max(...results.map((r) => r.mbps)).toFixed(1)}), RSS growth ${median(results.map((r) => r.growth)).toFixed(1)} MiB (${Math.min(...results.map((r) => r.growth)).toFixed(1)}–${Math.max(...results.map((r) => r.growth)).toFixed(1)}); goals ≥ 20 MB/s, ≤ 50 MB`,
  )
} finally {
  await app.close()
  rmSync(dataDir, { recursive: true, force: true })
  if (mongo) {
    const client = new MongoClient(mongo)
    await client.db().dropDatabase()
    await client.close()
  }
}
