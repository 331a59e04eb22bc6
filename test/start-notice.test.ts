// The first start as a person meets it at a terminal: the bootstrap invite code in a box, and no
// warning from a library that reads like a vulnerability.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { bootstrapNotice, boxed } from '../src/start-notice.ts'
import { freePort } from './helpers/ports.ts'
import { startChild } from './helpers/process.ts'
import { until } from './helpers/wait.ts'

t.test('boxed: every line as wide as the widest, in a closed frame', async (t) => {
  const box = boxed(['ab', 'a longer line', '漢字'])
  const lines = box.trimEnd().split('\n')
  t.equal(lines.length, 5)
  const widths = new Set(lines.map((l) => [...l].length))
  t.equal(widths.size, 1, box)
  t.match(lines[0], /^┌─+┐$/)
  t.match(lines[4], /^└─+┘$/)
  t.match(lines[2], /^│ a longer line │$/)
})

t.test('the bootstrap notice names the code and where to enter it', async (t) => {
  const box = bootstrapNotice('ABCD-EFGH', 'http://localhost:3000')
  t.match(box, /ABCD-EFGH/)
  t.match(box, /http:\/\/localhost:3000/)
  t.match(box, /Register/)
})

t.test('the server at a terminal: the code in a box, one structured log line, no warning', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'roomchat-tty-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const port = await freePort()
  // script(1) gives the server a terminal for stdout, as a person running it has.
  const proc = startChild(
    'script',
    ['-qfec', `${process.execPath} --import tsx src/server.ts`, '/dev/null'],
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
    },
  )
  // The server is script's child: killing script alone would leave it behind.
  let serverPid = 0
  t.teardown(() => {
    proc.child.kill('SIGKILL')
    if (serverPid) killQuietly(serverPid)
  })
  // The box (stderr, written at once) and the log line (stdout, written by the logger) in any order.
  const shown = () => /└─+┘/.test(proc.output()) && /"bootstrapCode"/.test(proc.output())
  await until(
    () => shown() || proc.child.exitCode !== null,
    () => proc.output(),
    60_000,
  )
  const out = proc.output()
  const code = /"bootstrapCode":"([A-Z0-9-]+)"/.exec(out)?.[1]
  t.ok(code, 'the log line carries the code as a field')
  t.match(out, new RegExp(`│ +${code} +│`), 'and the box shows it')
  t.match(out, new RegExp(`http://127\\.0\\.0\\.1:${port}`))
  t.notMatch(out, /Warning|SECURITY_RISK/, 'no warning at start')

  // The terminal goes away (its window closed): the server must end, not linger. It used to spin
  // at full CPU forever: a handler for SIGSEGV caught the fault of its shutdown over and over.
  serverPid = Number(/"pid":(\d+)/.exec(out)?.[1])
  t.ok(serverPid > 0 && alive(serverPid), `the server runs as pid ${serverPid}`)
  proc.child.kill('SIGKILL')
  await until(() => !alive(serverPid), 'the server to end once its terminal is gone', 30_000).catch(() => {})
  t.notOk(alive(serverPid), 'the server ended when its terminal went away')
})

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {}
}
