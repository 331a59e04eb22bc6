// Uploaded avatars: PUT /api/me/avatar makes any PNG, JPEG, WebP or GIF a 256×256 WebP without
// its metadata, stored in the Files port; every view of the user names it in `avatarUrl`.
import { randomBytes } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import SwaggerParser from '@apidevtools/swagger-parser'
import { MongoClient, ObjectId } from 'mongodb'
import sharp from 'sharp'
import t, { type Test } from 'tap'
import type { App } from '../../src/app.ts'
import { type Caller, call, loginAdmin, newUser } from '../helpers/api.ts'
import { backendName, buildTestApp, sharedEnv } from '../helpers/app.ts'
import { png16 } from '../helpers/png.ts'

const MAX = 200_000

function form(data: Buffer, field = 'file', type = 'application/octet-stream') {
  const boundary = `----roomchat${randomBytes(8).toString('hex')}`
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="me"\r\n` +
        `Content-Type: ${type}\r\n\r\n`,
    ),
    data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ])
  return { body, contentType: `multipart/form-data; boundary=${boundary}` }
}

async function putAvatar(app: App, as: Caller, data: Buffer, field?: string) {
  const f = form(data, field)
  const res = await app.inject({
    method: 'PUT',
    url: '/api/me/avatar',
    headers: { authorization: `Bearer ${as.token}`, 'content-type': f.contentType },
    payload: f.body,
  })
  return { status: res.statusCode, body: res.json() }
}

const picture = (width: number, height: number, background = '#3b6fd8') =>
  sharp({ create: { width, height, channels: 3, background } })

/** The file ids the Files store holds under a user's id (a directory on disk, GridFS metadata). */
async function storedFiles(t: Test, app: App) {
  const { MONGODB_URL, DATA_DIR } = app.core.config
  if (!MONGODB_URL) {
    return async (userId: string) =>
      (await readdir(join(DATA_DIR, 'files', userId)).catch(() => [] as string[])).sort()
  }
  const client = await MongoClient.connect(MONGODB_URL)
  t.teardown(() => client.close())
  const files = client.db().collection('fs.files')
  return async (userId: string) =>
    (await files.find({ 'metadata.roomId': new ObjectId(userId) }).toArray()).map((f) => String(f._id)).sort()
}

t.test(`avatars on ${backendName}`, async (t) => {
  const app = await buildTestApp(
    t,
    sharedEnv(t, { RATE_UPLOAD_USER: '100000', AVATAR_MAX_BYTES: String(MAX) }),
  )
  const admin = await loginAdmin(app)
  const alice = await newUser(app)
  const bob = await newUser(app)
  const stored = await storedFiles(t, app)
  const get = (url: string, as: Caller = bob, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${as.token}`, ...headers } })

  t.test('no avatar at first: avatarUrl null everywhere, the picture 404', async (t) => {
    t.equal((await call(app, 'GET', '/api/me', { as: alice })).body.user.avatarUrl, null)
    t.equal((await call(app, 'GET', `/api/users/${alice.userId}`, { as: bob })).body.user.avatarUrl, null)
    const res = await get(`/api/users/${alice.userId}/avatar`)
    t.equal(res.statusCode, 404)
    t.equal(res.json().code, 'NOT_FOUND')
  })

  t.test('a PNG and a JPEG come back as 256×256 WebP squares', async (t) => {
    for (const [name, bytes] of [
      ['a 16×16 PNG', png16()],
      ['a 400×300 PNG', await picture(400, 300).png().toBuffer()],
      ['a 300×500 JPEG', await picture(300, 500, '#d83b3b').jpeg().toBuffer()],
      ['a WebP', await picture(90, 60).webp().toBuffer()],
      ['a GIF', await picture(40, 80).gif().toBuffer()],
    ] as const) {
      const up = await putAvatar(app, alice, bytes)
      t.equal(up.status, 200, `${name} taken`)
      const url = up.body.user.avatarUrl as string
      t.match(url, new RegExp(`^/api/users/${alice.userId}/avatar\\?v=[0-9a-f]{24}$`))
      const res = await get(url)
      t.equal(res.statusCode, 200)
      t.equal(res.headers['content-type'], 'image/webp')
      t.equal(res.headers['x-content-type-options'], 'nosniff')
      t.match(res.headers['cache-control'], /immutable/, 'the versioned URL is cached for good')
      const meta = await sharp(res.rawPayload).metadata()
      t.same([meta.format, meta.width, meta.height], ['webp', 256, 256], `${name} is a 256×256 WebP`)
    }
  })

  t.test('EXIF and GPS are not kept', async (t) => {
    const withExif = await picture(320, 240)
      .jpeg()
      .withExif({
        IFD0: { Copyright: 'exif-marker-copyright', Artist: 'exif-marker-artist' },
        IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1' },
      })
      .toBuffer()
    t.ok((await sharp(withExif).metadata()).exif, 'the upload has EXIF')
    t.ok(withExif.includes('exif-marker-artist'))
    const up = await putAvatar(app, alice, withExif)
    t.equal(up.status, 200)
    const res = await get(up.body.user.avatarUrl)
    const meta = await sharp(res.rawPayload).metadata()
    t.equal(meta.exif, undefined, 'no EXIF in the avatar')
    t.equal(meta.icc, undefined, 'no ICC profile either')
    t.notOk(res.rawPayload.includes('exif-marker'), 'none of its text')
  })

  t.test('what is not a picture is 400 INVALID_IMAGE; too large is 413 TOO_LARGE', async (t) => {
    const before = (await call(app, 'GET', '/api/me', { as: alice })).body.user.avatarUrl
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>')
    const png = await picture(100, 100).png().toBuffer()
    for (const [name, bytes] of [
      ['text', Buffer.from('hello, not a picture')],
      ['an SVG', svg],
      ['a truncated PNG', png.subarray(0, png.length - 40)],
      ['nothing', Buffer.alloc(0)],
    ] as const) {
      const up = await putAvatar(app, alice, bytes)
      t.equal(up.status, 400, `${name} refused`)
      t.match(up.body, { statusCode: 400, code: 'INVALID_IMAGE', error: 'Bad Request', message: String })
    }
    const big = await putAvatar(app, alice, randomBytes(MAX + 1))
    t.equal(big.status, 413)
    t.match(big.body, { statusCode: 413, code: 'TOO_LARGE', message: String })
    const named = await putAvatar(app, alice, png, 'picture')
    t.equal(named.status, 400)
    t.equal(named.body.code, 'VALIDATION')
    t.equal((await call(app, 'GET', '/api/me', { as: alice })).body.user.avatarUrl, before, 'unchanged')
  })

  t.test('a replace removes the old file; other users see the new avatarUrl', async (t) => {
    const room = (await call(app, 'POST', '/api/rooms', { as: admin, body: { name: 'Avatars' } })).body.room
    for (const who of [alice, bob])
      t.equal((await call(app, 'POST', `/api/rooms/${room.id}/join`, { as: who })).status, 200)
    const first = await putAvatar(app, alice, await picture(64, 64, '#00ff00').png().toBuffer())
    const firstId = new URL(first.body.user.avatarUrl, 'http://x').searchParams.get('v')!
    t.same(await stored(alice.userId), [firstId], 'one file: the current one')
    const second = await putAvatar(app, alice, await picture(64, 64, '#ff00ff').png().toBuffer())
    const url = second.body.user.avatarUrl as string
    const secondId = new URL(url, 'http://x').searchParams.get('v')!
    t.not(secondId, firstId, 'a new URL for a new picture')
    t.same(await stored(alice.userId), [secondId], 'the old file is gone from the Files store')
    // An old version follows the current picture, but is not cached for good.
    const old = await get(`/api/users/${alice.userId}/avatar?v=${firstId}`)
    t.equal(old.statusCode, 200)
    t.equal(old.headers['cache-control'], 'private, no-cache')
    t.equal((await get(url, bob, { 'if-none-match': `"${secondId}"` })).statusCode, 304)

    const sent = await call(app, 'POST', `/api/rooms/${room.id}/messages`, {
      as: alice,
      body: { text: 'new face', clientMsgId: 'avatar-1' },
    })
    t.equal(sent.body.message.from.avatarUrl, url)
    const history = await call(app, 'GET', `/api/rooms/${room.id}/messages`, { as: bob })
    t.equal(history.body.items.at(-1).from.avatarUrl, url, 'in the message bob reads')
    t.notOk('avatar' in history.body.items.at(-1).from, 'the stored id is not shown as such')
    const members = await call(app, 'GET', `/api/rooms/${room.id}/members`, { as: bob })
    const seen = members.body.items.find((m: { user: { id: string } }) => m.user.id === alice.userId)
    t.equal(seen.user.avatarUrl, url, 'in the members bob reads')
    t.equal((await call(app, 'GET', `/api/users/${alice.userId}`, { as: bob })).body.user.avatarUrl, url)

    const removed = await call(app, 'DELETE', '/api/me/avatar', { as: alice })
    t.equal(removed.status, 200)
    t.equal(removed.body.user.avatarUrl, null, 'initials again')
    t.same(await stored(alice.userId), [], 'the file is removed')
    t.equal((await get(url)).statusCode, 404)
    const after = await call(app, 'GET', `/api/rooms/${room.id}/members`, { as: bob })
    t.equal(
      after.body.items.find((m: { user: { id: string } }) => m.user.id === alice.userId).user.avatarUrl,
      null,
    )
    const next = await call(app, 'POST', `/api/rooms/${room.id}/messages`, {
      as: alice,
      body: { text: 'plain again', clientMsgId: 'avatar-2' },
    })
    t.equal(next.body.message.from.avatarUrl, null)
    t.equal((await call(app, 'DELETE', '/api/me/avatar', { as: alice })).status, 200, 'idempotent')
  })

  t.test('signed out: 401', async (t) => {
    const res = await app.inject({ method: 'GET', url: `/api/users/${alice.userId}/avatar` })
    t.equal(res.statusCode, 401)
    const f = form(png16())
    const up = await app.inject({
      method: 'PUT',
      url: '/api/me/avatar',
      headers: { 'content-type': f.contentType },
      payload: f.body,
    })
    t.equal(up.statusCode, 401)
  })

  t.test('the OpenAPI document stays valid and names the routes', async (t) => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
    await SwaggerParser.validate(structuredClone(doc))
    t.ok(doc.paths['/api/me/avatar'].put)
    t.ok(doc.paths['/api/me/avatar'].delete)
    t.ok(doc.paths['/api/users/{id}/avatar'].get)
    t.ok(doc.components.schemas.PublicUser.properties.avatarUrl)
  })
})

t.test(`the upload rate limit counts avatars on ${backendName}`, async (t) => {
  const app = await buildTestApp(t, sharedEnv(t, { RATE_UPLOAD_USER: '2' }))
  const user = await newUser(app)
  const statuses = []
  for (let i = 0; i < 3; i++) statuses.push((await putAvatar(app, user, png16())).status)
  t.same(statuses, [200, 200, 429])
})
