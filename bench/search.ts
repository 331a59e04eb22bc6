// Message search on the store itself (no server, no sockets): M messages of generated mixed
// Chinese/English chat text in R rooms, a user in U of them, then
//   - searches through the search service (src/search/search.ts), p50/p99 per kind of query,
//     against the goals (p50 ≤ 20 ms, p99 ≤ 100 ms embedded);
//   - CPU per append with the index against the same appends without it, in the same run
//     (goal ≤ 1.15x): "without" are the same messages stored as stream updates, which the store
//     does not index, so the two differ by the search work alone;
//   - the store's disk growth per message, with and without the index;
//   - the backfill rate: every message's terms forgotten, then indexed again in batches.
// Embedded by default; on MongoDB (or FerretDB) when MONGODB_URL is set, on a fresh database that
// is dropped afterwards. Only this process's CPU is counted: on MongoDB the server's own is not.
//
//   node --import tsx bench/search.ts --messages 100000 --rooms 100 --member 50
//   MONGODB_URL=mongodb://127.0.0.1:27017/bench node --import tsx bench/search.ts --messages 20000
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { MongoClient } from 'mongodb'
import { newId } from '../src/ids.ts'
import { SearchService } from '../src/search/search.ts'
import { lookupTerms, parseQuery } from '../src/search/terms.ts'
import { openMongoStore } from '../src/store/mongo/index.ts'
import { searchFilter } from '../src/store/mongo/search.ts'
import type { NewMessage, UserSnapshot } from '../src/store/records.ts'
import { openSqliteStore } from '../src/store/sqlite/index.ts'
import type { Store } from '../src/store/store.ts'
import { checkFlags, flagNumber, int, ms, parseFlags, quantile } from './lib.ts'

const USAGE = `node --import tsx bench/search.ts [flags]
  --messages M    messages stored (default 100000)
  --rooms R       rooms they are spread over (default 100)
  --member U      rooms the searching user is a member of (default 50)
  --searches S    searches per kind of query (default 100)
  --appends A     appends timed with and without the index, each (default 5000)
  --batch B       messages per backfill batch (default 500)
  --seed N        the generator's seed (default 1)
  --explain       print MongoDB's plan of one search of each kind (MONGODB_URL only)`

const flags = parseFlags()
checkFlags(
  flags,
  ['messages', 'rooms', 'member', 'searches', 'appends', 'batch', 'seed', 'explain', 'help'],
  USAGE,
)
const MESSAGES = flagNumber(flags, 'messages', 100_000)
const ROOMS = flagNumber(flags, 'rooms', 100)
const MEMBER = Math.min(flagNumber(flags, 'member', 50), ROOMS)
const SEARCHES = flagNumber(flags, 'searches', 100)
const APPENDS = flagNumber(flags, 'appends', 5000)
const BATCH = flagNumber(flags, 'batch', 500)
let seed = flagNumber(flags, 'seed', 1)
const MONGO = process.env.MONGODB_URL

// ---------------------------------------------------------------- the generator

/** A small deterministic generator (mulberry32), so two runs store the same text. */
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0
  let x = seed
  x = Math.imul(x ^ (x >>> 15), x | 1)
  x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296
}
/** Zipf-like: the first words of a list come far more often than the last, as in real chat. */
const zipf = <T>(list: readonly T[]): T => list[Math.floor(list.length * random() ** 2.5)]!
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!

const ZH = (
  '我们 你们 他们 今天 明天 昨天 现在 时候 什么 怎么 为什么 可以 没有 知道 觉得 应该 已经 还是 就是 这个 那个 ' +
  '一下 一起 大家 朋友 工作 公司 项目 会议 开会 下午 上午 晚上 周末 时间 问题 需要 帮忙 谢谢 好的 没问题 ' +
  '聊天 聊天室 消息 发送 回复 图片 文件 链接 视频 手机 电脑 服务器 数据库 部署 测试 代码 版本 更新 修复 ' +
  '吃饭 午饭 晚饭 咖啡 奶茶 火锅 外卖 电影 音乐 游戏 旅行 北京 上海 深圳 广州 杭州 成都 天气 下雨 ' +
  '开心 哈哈 厉害 辛苦 加油 注意 安全 记得 确认 安排 计划 讨论 方案 客户 需求 设计 文档 提交 合并 ' +
  '搜索 索引 中文 英文 分词 性能 速度 延迟 内存 磁盘 网络 连接 断开 重启 日志 报警 监控 用户 权限'
).split(' ')
const EN = (
  'the a to and is it you that of in for on we this be have are with not can do will just so ' +
  'meeting today tomorrow deploy release build test fix bug issue review merge branch server ' +
  'database index search query latency memory disk network restart logs alert monitor user ' +
  'coffee lunch dinner weekend movie music game travel weather rain happy thanks please ok ' +
  'project client design document submit plan discuss schedule confirm remember safety update ' +
  'Beijing Shanghai Shenzhen café résumé naïve Zoë crème déjà vu photo file link video phone'
).split(' ')
const EMOJI = ['👍', '😂', '🎉', '🙏', '❤️', '🔥', '😅']
const PUNCT_ZH = ['，', '。', '！', '？', '、']

/** One chat message: Chinese (40%), English (30%) or both mixed (30%), with some emoji and numbers. */
function generate(): string {
  const kind = random()
  const words = 3 + Math.floor(random() * 12)
  const out: string[] = []
  for (let i = 0; i < words; i++) {
    const zh = kind < 0.4 || (kind >= 0.7 && random() < 0.5)
    if (zh) {
      out.push(zipf(ZH))
      if (random() < 0.15) out.push(pick(PUNCT_ZH))
    } else out.push(` ${zipf(EN)} `)
    if (random() < 0.03) out.push(pick(EMOJI))
    if (random() < 0.03) out.push(` ${Math.floor(random() * 1000)} `)
  }
  return out.join('').replace(/\s+/g, ' ').trim() || '好的'
}

/** The kinds of query measured, each a maker of queries from the generator's words. */
const QUERIES: [kind: string, make: () => string][] = [
  ['Chinese word, frequent', () => ZH[Math.floor(random() * 10)]!],
  ['Chinese word, rare', () => ZH[ZH.length - 1 - Math.floor(random() * 20)]!],
  ['one Chinese character', () => [...zipf(ZH)][0]!],
  ['two Chinese words', () => `${zipf(ZH)} ${zipf(ZH)}`],
  ['English word, rare', () => EN[EN.length - 1 - Math.floor(random() * 30)]!],
  ['English prefix (3 letters)', () => pick(EN.filter((w) => w.length >= 5)).slice(0, 3)],
  ['English word + Chinese word', () => `${pick(EN.slice(30))} ${zipf(ZH)}`],
  ['phrase', () => `"${pick(EN.slice(20))} ${pick(EN.slice(20))}"`],
  ['no match', () => `${pick(ZH)} zzyzx`],
]

// ---------------------------------------------------------------- the stores

interface Opened {
  store: Store
  /** Bytes the store takes on disk now (data and indexes). */
  size(): Promise<number>
  /** Every message's terms forgotten, as before search existed. */
  forget(): Promise<void>
  explain?(filter: object): Promise<unknown>
  close(): Promise<void>
}

async function open(name: string): Promise<Opened> {
  if (MONGO) {
    const url = new URL(MONGO)
    url.pathname = `/bench_search_${name}_${process.pid}`
    const store = await openMongoStore(url.toString())
    const client = await new MongoClient(url.toString()).connect()
    const db = client.db()
    return {
      store,
      async size() {
        const s = await db.command({ dbStats: 1 })
        return Number(s.storageSize ?? 0) + Number(s.indexSize ?? 0) || Number(s.dataSize ?? 0)
      },
      async forget() {
        await db.collection('messages').updateMany({}, { $unset: { terms: '' } })
        await db.collection('jobs').deleteMany({})
      },
      async explain(filter) {
        return db.collection('messages').find(filter).sort({ _id: -1 }).limit(80).explain('executionStats')
      },
      async close() {
        await store.close()
        await db.dropDatabase()
        await client.close()
      },
    }
  }
  const dir = mkdtempSync(join(tmpdir(), `bench-search-${name}-`))
  const store = openSqliteStore(dir)
  const raw = new Database(join(dir, 'chat.db'))
  return {
    store,
    async size() {
      raw.pragma('wal_checkpoint(TRUNCATE)')
      return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0)
    },
    async forget() {
      raw.exec('UPDATE messages SET search_id = NULL; DELETE FROM message_search;')
    },
    async close() {
      raw.close()
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

const author: UserSnapshot = { id: newId(), username: 'writer', displayName: 'Writer' }
const message = (roomId: string, text: string, indexed = true): NewMessage => ({
  id: newId(),
  roomId,
  kind: indexed ? 'text' : 'update',
  from: author,
  text,
  file: null,
  clientMsgId: null,
  createdAt: new Date(),
  mentions: [],
  ...(indexed ? {} : { target: 1 }),
})

async function makeRooms(store: Store, count: number): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < count; i++) {
    const id = newId()
    await store.rooms.create({
      id,
      name: `room ${i}`,
      description: '',
      creator: author,
      maxMembers: 1000,
      memberCount: 0,
      createdAt: new Date(),
    })
    ids.push(id)
  }
  return ids
}

const cpu = () => {
  const u = process.cpuUsage()
  return u.user + u.system
}

// ---------------------------------------------------------------- the run

console.log(
  `search bench on ${MONGO ? 'mongodb' : 'sqlite'}: ${int(MESSAGES)} messages in ${ROOMS} rooms, the user in ${MEMBER}`,
)

// 1. Appends with the index against the same appends without it, alternating, in fresh stores.
{
  const withIndex = await open('with')
  const without = await open('without')
  const [roomW] = await makeRooms(withIndex.store, 1)
  const [roomO] = await makeRooms(without.store, 1)
  const texts = Array.from({ length: APPENDS }, generate)
  const sizes = [await withIndex.size(), await without.size()]
  let usedW = 0
  let usedO = 0
  const block = 500
  for (let i = 0; i < APPENDS; i += block) {
    const part = texts.slice(i, i + block)
    let c = cpu()
    for (const text of part) await withIndex.store.messages.append(message(roomW!, text))
    usedW += cpu() - c
    c = cpu()
    for (const text of part) await without.store.messages.append(message(roomO!, text, false))
    usedO += cpu() - c
  }
  const grownW = (await withIndex.size()) - sizes[0]!
  const grownO = (await without.size()) - sizes[1]!
  console.log(
    `appends: ${(usedW / APPENDS).toFixed(1)} µs of CPU per message with the index, ${(usedO / APPENDS).toFixed(1)} µs without: ${(usedW / usedO).toFixed(2)}x (goal ≤ 1.15x)`,
  )
  console.log(
    `disk: ${int(grownW / APPENDS)} bytes per message with the index, ${int(grownO / APPENDS)} without (+${int((grownW - grownO) / APPENDS)})`,
  )
  await withIndex.close()
  await without.close()
}

// 2. The corpus, then the backfill of all of it.
const opened = await open('corpus')
const { store } = opened
const rooms = await makeRooms(store, ROOMS)
const user = newId()
for (const r of rooms.slice(0, MEMBER)) await store.rooms.join(r, user, new Date())
{
  const started = Date.now()
  const chunk = 200
  for (let i = 0; i < MESSAGES; i += chunk) {
    // appendMany stores one room's messages per call: a chunk goes to one room.
    const roomId = rooms[Math.floor(random() * ROOMS)]!
    const n = Math.min(chunk, MESSAGES - i)
    await store.messages.appendMany(Array.from({ length: n }, () => message(roomId, generate())))
    if (i > 0 && i % 20_000 === 0) process.stdout.write(`  stored ${int(i)}\r`)
  }
  const size = await opened.size()
  console.log(
    `stored ${int(MESSAGES)} messages in ${((Date.now() - started) / 1000).toFixed(1)} s; the store: ${int(size / MESSAGES)} bytes per message`,
  )
}
{
  await opened.forget()
  const started = Date.now()
  let indexed = 0
  for (;;) {
    const r = await store.search.backfill(BATCH)
    indexed += r.indexed
    if (r.done) break
  }
  const s = (Date.now() - started) / 1000
  console.log(
    `backfill: ${int(indexed)} messages in ${s.toFixed(1)} s: ${int(indexed / s)} messages per second (batches of ${BATCH})`,
  )
}

// 3. Searches.
const search = new SearchService(store)
for (let i = 0; i < 20; i++) await search.search(user, { q: QUERIES[i % QUERIES.length]![1]() })
const all: number[] = []
console.log(`searches (${SEARCHES} per kind, 20 hits a page, newest first):`)
console.log('  kind                           p50        p99       hits (mean)')
for (const [kind, make] of QUERIES) {
  const times: number[] = []
  let hits = 0
  for (let i = 0; i < SEARCHES; i++) {
    const q = make()
    const t0 = performance.now()
    const page = await search.search(user, { q })
    times.push(performance.now() - t0)
    hits += page.items.length
  }
  times.sort((a, b) => a - b)
  all.push(...times)
  console.log(
    `  ${kind.padEnd(30)} ${ms(quantile(times, 0.5)).padStart(9)} ${ms(quantile(times, 0.99)).padStart(10)}   ${(hits / SEARCHES).toFixed(1)}`,
  )
  if (flags.has('explain') && opened.explain) {
    const mine = rooms.slice(0, MEMBER)
    const plan = await opened.explain(
      searchFilter({ rooms: mine, terms: lookupTerms(parseQuery(make())), limit: 80, cursor: null }),
    )
    console.log(JSON.stringify(plan, null, 1).split('\n').slice(0, 60).join('\n'))
  }
}
all.sort((a, b) => a - b)
console.log(
  `all searches: p50 ${ms(quantile(all, 0.5))} (goal ≤ 20 ms), p99 ${ms(quantile(all, 0.99))} (goal ≤ 100 ms)`,
)
await opened.close()
