// DATA_DIR holds password hashes and secrets: created 700, its files 600, and a looser mode
// found at start is named in a warning. (The embedded store is what writes there, so this test
// builds an embedded instance in every run.)
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { buildApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { call, loginAdmin } from '../helpers/api.ts'
import { ADMIN } from '../helpers/app.ts'
import { captureLogs, type LogCapture } from '../helpers/logs.ts'

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8)

async function embedded(t: Test, dataDir: string, log: LogCapture = captureLogs()) {
  const config = loadConfig({
    DATA_DIR: dataDir,
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
  })
  const app = await buildApp(config, { logger: { level: 'warn', stream: log.stream } })
  t.teardown(() => app.close())
  await app.core.accounts.ensureAdmin(config.ADMIN_USERNAME, config.ADMIN_PASSWORD)
  return app
}

t.test('a new DATA_DIR is 700 and what is written there 600', async (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'roomchat-perm-'))
  t.teardown(() => rmSync(parent, { recursive: true, force: true }))
  const dataDir = join(parent, 'data')
  const log = captureLogs()
  const app = await embedded(t, dataDir, log)
  const admin = await loginAdmin(app)
  const room = await call(app, 'POST', '/api/rooms', { as: admin, body: { name: 'perm room' } })
  const form = new FormData()
  form.append('file', new Blob(['secret bytes']), 'note.txt')
  const req = new Request('http://x/', { method: 'POST', body: form })
  const upload = await app.inject({
    method: 'POST',
    url: `/api/rooms/${room.body.room.id}/files`,
    headers: { authorization: `Bearer ${admin.token}`, 'content-type': req.headers.get('content-type')! },
    payload: Buffer.from(await req.arrayBuffer()),
  })
  t.equal(upload.statusCode, 201, upload.body)
  t.equal(modeOf(dataDir), '700', 'DATA_DIR')
  for (const f of ['chat.db', 'chat.db-wal', 'jwt-secret']) t.equal(modeOf(join(dataDir, f)), '600', f)
  t.equal(modeOf(join(dataDir, 'files')), '700', 'files/')
  const roomDir = join(dataDir, 'files', room.body.room.id)
  t.equal(modeOf(roomDir), '700', "the room's folder")
  t.equal(modeOf(join(roomDir, upload.json().file.id)), '600', 'the uploaded file')
  t.notOk(
    log.lines.some((l) => /others may read/.test(l)),
    'no warning for a directory it created itself',
  )
})

t.test('a DATA_DIR others may read is named in a warning at start', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'roomchat-perm-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  chmodSync(dataDir, 0o755)
  mkdirSync(join(dataDir, 'files'), { mode: 0o755 })
  chmodSync(join(dataDir, 'files'), 0o755)
  const log = captureLogs()
  await embedded(t, dataDir, log)
  const warning = log.entries().find((l) => /others may read/.test(l.msg))
  t.ok(warning, 'warned')
  t.ok(
    warning?.loose.some((x: string) => x.startsWith(dataDir) && x.endsWith('(755)')),
    'naming the directory',
  )
  t.ok(
    warning?.loose.some((x: string) => x.includes('files')),
    'and the loose entry',
  )
})
