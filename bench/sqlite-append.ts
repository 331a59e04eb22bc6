// The embedded store's append on its own: CPU per message stored through the SQLite adapter's
// `appendMany` (the statement, its transaction and commit, WAL with synchronous=NORMAL), for
// batches of several sizes, over rooms taken in turn. No server, no sockets: what a chat message
// costs the SQLite store, to set against the server's CPU per message in bench/ws-fanout.ts.
//
//   node --import tsx bench/sqlite-append.ts --messages 6000 --rooms 50 --batch 1,2,5,20
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { newId } from '../src/ids.ts'
import { openSqliteStore } from '../src/store/sqlite/index.ts'
import { checkFlags, flagList, flagNumber, parseFlags } from './lib.ts'

const USAGE = `node --import tsx bench/sqlite-append.ts [flags]
  --messages N    messages stored per batch size (default 6000)
  --rooms R       rooms the messages go to in turn (default 50)
  --batch a,b     batch sizes: messages per appendMany, one transaction each (default 1,2,5,20)`

const flags = parseFlags()
checkFlags(flags, ['messages', 'rooms', 'batch', 'help'], USAGE)
const MESSAGES = flagNumber(flags, 'messages', 6000)
const ROOMS = flagNumber(flags, 'rooms', 50)
const BATCHES = (flagList(flags, 'batch').length > 0 ? flagList(flags, 'batch') : ['1', '2', '5', '20']).map(
  Number,
)

const from = { id: newId(), username: 'bench', displayName: 'Bench' }
const rooms = Array.from({ length: ROOMS }, () => newId())

console.log(`sqlite-append: ${MESSAGES} messages per batch size over ${ROOMS} rooms`)
for (const size of BATCHES) {
  const dir = mkdtempSync(join(tmpdir(), 'roomchat-append-'))
  const store = openSqliteStore(dir)
  let n = 0
  const message = () => {
    n++
    return {
      id: newId(),
      roomId: rooms[n % ROOMS]!,
      kind: 'text' as const,
      from,
      text: `bench message ${n} with some text`,
      file: null,
      clientMsgId: `c${n}`,
      createdAt: new Date(),
      mentions: [],
    }
  }
  const batch = () => Array.from({ length: size }, message)
  // Warm-up: the statements compiled and optimised, the tables past their first pages.
  for (let i = 0; i < 500; i++) await store.messages.appendMany(batch())
  const before = process.cpuUsage()
  const rounds = Math.ceil(MESSAGES / size)
  for (let i = 0; i < rounds; i++) await store.messages.appendMany(batch())
  const used = process.cpuUsage(before)
  const per = (us: number) => (us / (rounds * size)).toFixed(1)
  console.log(
    `  ${String(size).padStart(3)} per transaction: ${per(used.user + used.system)} µs of CPU per message (user ${per(used.user)}, system ${per(used.system)})`,
  )
  await store.close()
  rmSync(dir, { recursive: true, force: true })
}
