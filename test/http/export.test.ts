// The export of an account (GET /api/me/export): a zip of everything of the user's, streamed
// with bounded memory whatever the size, a few times a day at most.
import { createHash, randomBytes } from 'node:crypto'
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import t from 'tap'
import { entryName } from '../../src/accounts/export.ts'
import type { App } from '../../src/app.ts'
import { newId } from '../../src/ids.ts'
import { type Caller, call, newUser, sessionOf } from '../helpers/api.ts'
import { backendName, buildTestApp } from '../helpers/app.ts'
import { readZip } from '../helpers/zip.ts'

t.comment(`backend: ${backendName}`)

const MiB = 1024 * 1024

async function uploadFile(app: App, as: Caller, roomId: string, name: string, data: Buffer) {
  const boundary = `----roomchat${randomBytes(8).toString('hex')}`
  const res = await app.inject({
    method: 'POST',
    url: `/api/rooms/${roomId}/files`,
    headers: {
      authorization: `Bearer ${as.token}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
    },
    payload: Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      ),
      data,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]),
  })
  if (res.statusCode !== 201) throw new Error(`upload: ${res.statusCode} ${res.body}`)
}

const send = (app: App, as: Caller, roomId: string, text: string) =>
  call(app, 'POST', `/api/rooms/${roomId}/messages`, {
    as,
    body: { text, clientMsgId: `c-${randomBytes(6).toString('hex')}` },
  })

const exportOf = (app: App, as: Caller) =>
  app.inject({ method: 'GET', url: '/api/me/export', headers: { authorization: `Bearer ${as.token}` } })

t.test('the zip holds the profile, sessions, messages, direct conversations, posts and files', async (t) => {
  const app = await buildTestApp(t)
  const user = await newUser(app)
  const bob = await newUser(app)
  await app.core.internals.store.users.extendVip(user.userId, 30, new Date())
  const room = (await call(app, 'POST', '/api/rooms', { as: user, body: { name: 'Export Room' } })).body.room
  await call(app, 'POST', `/api/rooms/${room.id}/join`, { as: bob })
  const dm = (await call(app, 'POST', '/api/dms', { as: user, body: { userId: bob.userId } })).body.room
  t.equal((await send(app, user, room.id, 'hello room')).status, 201)
  await send(app, bob, room.id, 'not mine')
  await send(app, user, dm.id, 'hello bob, privately')
  const notes = randomBytes(10_000)
  await uploadFile(app, user, room.id, 'notes.bin', notes)
  await uploadFile(app, user, room.id, 'notes.bin', Buffer.from('second of the name'))
  await uploadFile(app, user, room.id, '../evil\u0001name.txt', Buffer.from('sanitised'))
  await call(app, 'POST', '/api/posts', { as: user, body: { text: 'a post at home' } })
  await call(app, 'POST', `/api/users/${bob.userId}/posts`, { as: user, body: { text: "on bob's wall" } })
  await call(app, 'PATCH', '/api/me', { as: user, body: { bio: 'my bio' } })

  const res = await exportOf(app, user)
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'application/zip')
  const date = new Date().toISOString().slice(0, 10)
  t.equal(
    res.headers['content-disposition'],
    `attachment; filename="roomchat-export-${user.username}-${date}.zip"`,
  )
  const zip = await readZip(res.rawPayload)
  const json = async (name: string) => JSON.parse((await zip.get(name)!.read()).toString())
  const lines = async (name: string) =>
    (await zip.get(name)!.read())
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))

  const profile = await json('profile.json')
  t.equal(profile.id, user.userId)
  t.equal(profile.username, user.username)
  t.equal(profile.bio, 'my bio')
  const sessions = await json('sessions.json')
  t.ok(
    sessions.some((s: { id: string; current: boolean }) => s.id === sessionOf(user.token) && s.current),
    'the current session is there',
  )
  const rooms = await json('rooms.json')
  t.same(rooms.map((r: { id: string }) => r.id).sort(), [room.id, dm.id].sort())
  const messages = await lines('messages.jsonl')
  t.same(
    messages.map((m: { text: string; roomName: string }) => [m.roomName, m.text]),
    [
      ['Export Room', 'hello room'],
      ['Export Room', 'notes.bin'],
      ['Export Room', 'notes.bin'],
      ['Export Room', 'evilname.txt'],
    ],
    'only my messages, with the room names',
  )
  const dms = await lines('dms.jsonl')
  t.equal(dms.length, 1)
  t.equal(dms[0].text, 'hello bob, privately')
  t.same(dms[0].with, { id: bob.userId, username: bob.username })
  const posts = await json('posts.json')
  t.same(posts.map((p: { text: string }) => p.text).sort(), ['a post at home', "on bob's wall"])
  t.same((await zip.get('files/notes.bin')!.read()).equals(notes), true, 'the file, byte for byte')
  t.equal((await zip.get('files/notes (2).bin')!.read()).toString(), 'second of the name')
  t.equal((await zip.get('files/evilname.txt')!.read()).toString(), 'sanitised')
  t.notOk(
    [...zip.keys()].some((k) => k.includes('/../') || k.startsWith('/')),
    'no entry escapes',
  )

  const anonymous = await app.inject({ method: 'GET', url: '/api/me/export' })
  t.equal(anonymous.statusCode, 401)
})

t.test('entry names are one plain segment', async (t) => {
  t.equal(entryName('../../etc/passwd'), '.._.._etc_passwd')
  t.equal(entryName('a\\b:c\u0001d'), 'a_b_c_d')
  t.equal(entryName('..'), '_')
  t.equal(entryName('  '), '_')
  t.equal(entryName('été.png'), 'été.png')
})

t.test('exports are limited per day', async (t) => {
  const app = await buildTestApp(t, undefined, { RATE_EXPORTS_PER_DAY: '2' })
  const user = await newUser(app)
  t.equal((await exportOf(app, user)).statusCode, 200)
  t.equal((await exportOf(app, user)).statusCode, 200)
  const third = await exportOf(app, user)
  t.equal(third.statusCode, 429)
  t.equal(third.json().code, 'RATE_LIMITED')
  t.ok(Number(third.headers['retry-after']) > 0, 'Retry-After says when')
  const other = await newUser(app)
  t.equal((await exportOf(app, other)).statusCode, 200, "another user's exports are their own")
})

t.test('memory stays bounded: 100 MiB of files streamed to a slow reader', async (t) => {
  const app = await buildTestApp(t)
  const user = await newUser(app)
  const { store, fileBytes } = app.core.internals
  const roomId = newId()
  const block = randomBytes(MiB)
  const sizes = [40 * MiB, 30 * MiB, 20 * MiB, 10 * MiB]
  const hashes = new Map<string, string>()
  for (const [i, size] of sizes.entries()) {
    const id = newId()
    const hash = createHash('sha256')
    // The same block over and over, the file's index in its first bytes: files differ, fast to make.
    const chunks = function* () {
      for (let at = 0; at < size; at += MiB) {
        const chunk = at === 0 ? Buffer.concat([Buffer.from([i]), block.subarray(1)]) : block
        hash.update(chunk)
        yield chunk
      }
    }
    await fileBytes.write({ id, roomId }, Readable.from(chunks()))
    await store.files.create({
      id,
      roomId,
      uploaderId: user.userId,
      name: `big-${i}.bin`,
      size,
      contentType: 'application/octet-stream',
      createdAt: new Date(),
    })
    hashes.set(`files/big-${i}.bin`, hash.digest('hex'))
  }

  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const dir = mkdtempSync(join(tmpdir(), 'roomchat-export-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'export.zip')
  const before = process.memoryUsage.rss()
  let peak = before
  let seen = 0
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) =>
    request({ port, path: '/api/me/export', headers: { authorization: `Bearer ${user.token}` } }, resolve)
      .on('error', reject)
      .end(),
  )
  t.equal(res.statusCode, 200)
  // Slow at first (the server must hold back, not buffer ahead), then as fast as it comes.
  const paced = async function* () {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      seen++
      peak = Math.max(peak, process.memoryUsage.rss())
      if (seen <= 40) await new Promise((r) => setTimeout(r, 5))
      yield chunk
    }
  }
  await pipeline(Readable.from(paced()), createWriteStream(path))
  const growth = (peak - before) / MiB
  t.comment(`RSS growth while exporting ${sizes.reduce((a, b) => a + b) / MiB} MiB: ${growth.toFixed(1)} MiB`)
  t.ok(growth < 60, `RSS grew by ${growth.toFixed(1)} MiB, well under the size`)

  const zip = await readZip(path)
  for (const [name, hash] of hashes) {
    const entry = zip.get(name)
    t.ok(entry, `${name} is there`)
    t.equal(await entry!.sha256(), hash, `${name} is complete`)
  }
  t.ok(zip.has('profile.json') && zip.has('messages.jsonl') && zip.has('posts.json'))
})
