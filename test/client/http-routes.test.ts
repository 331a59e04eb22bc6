// ChatHttp covers every HTTP route: walls, the directory, uploads (with progress) and downloads,
// codes listing and revoking, password, TOTP, user admin, health. Against the real server.
import { Blob } from 'node:buffer'
import { ApiError, ChatHttp, fileNameOf } from '@roomchat/client'
import { generate } from 'otplib'
import t from 'tap'
import { png16 } from '../helpers/png.ts'
import { admin, backendName, room, startServer, user } from './fixtures/setup.ts'

t.test(`every route through ChatHttp on ${backendName}`, async (t) => {
  const server = await startServer(t)
  const root = await admin(server)
  const alice = await user(server)
  const bob = await user(server)

  t.test('operations', async (t) => {
    const http = new ChatHttp({ baseUrl: server.base })
    t.match(await http.health(), { status: 'ok' })
    t.match(await http.ready(), { status: 'ready' })
  })

  t.test('walls: home and a user, newest first; delete', async (t) => {
    const home = await alice.http.post('home', 'on the home wall')
    t.match(home, { wall: 'home', text: 'on the home wall', author: { id: alice.id } })
    const onBob = await alice.http.post(bob.id, 'hi bob 👋')
    t.match(onBob, { wall: bob.id, text: 'hi bob 👋' })
    t.equal((await bob.http.wall('home')).items[0]?.id, home.id)
    t.same(
      (await bob.http.wall(bob.id)).items.map((p) => p.id),
      [onBob.id],
    )
    const refused = await root.http.post('home', '   ').catch((e: unknown) => e)
    t.match(refused, { status: 400, code: 'VALIDATION' })
    await bob.http.deletePost(onBob.id) // the owner of the wall
    t.same((await bob.http.wall(bob.id)).items, [])
    const notYours = await bob.http.deletePost(home.id).catch((e: unknown) => e)
    t.ok(notYours instanceof ApiError)
    t.match(notYours, { status: 403, code: 'FORBIDDEN' })
  })

  t.test('directory', async (t) => {
    const page = await alice.http.users({ q: bob.username })
    t.same(
      page.items.map((u) => u.id),
      [bob.id],
    )
    t.match(await alice.http.user(bob.id), { id: bob.id, username: bob.username })
    t.match(await alice.http.user('0'.repeat(24)).catch((e: unknown) => e), {
      status: 404,
      code: 'NOT_FOUND',
    })
  })

  t.test('upload with progress, then the file by URL and by download', async (t) => {
    const roomId = await room(server, [alice, bob])
    const bytes = new Uint8Array(300_000).map((_, i) => i % 251)
    const reports: number[] = []
    const answer = await alice.http.uploadFile(roomId, new Blob([bytes]) as unknown as globalThis.Blob, {
      name: 'data é.bin',
      onProgress: (p) => reports.push(p.loaded),
    })
    t.match(answer.file, { name: 'data é.bin', size: bytes.length })
    t.match(answer.message, { kind: 'file', room: roomId, file: { id: answer.file.id } })
    t.ok(reports.length > 0 && reports.at(-1) === bytes.length, 'progress reported up to the whole file')
    t.equal(bob.http.fileUrl(answer.file.id), `${server.base}/api/files/${answer.file.id}`)
    const got = await bob.http.downloadFile(answer.file.id)
    t.equal(got.name, 'data é.bin')
    t.equal(got.contentType, 'application/octet-stream')
    t.same(new Uint8Array(await got.blob.arrayBuffer()), bytes)
    const part = await bob.http.downloadFile(answer.file.id, { range: { start: 10, end: 19 } })
    t.same(new Uint8Array(await part.blob.arrayBuffer()), bytes.slice(10, 20))
    const outsider = await user(server)
    t.match(await outsider.http.downloadFile(answer.file.id).catch((e: unknown) => e), {
      status: 403,
      code: 'NOT_MEMBER',
    })
    t.match(
      await outsider.http
        .uploadFile(roomId, new Blob(['x']) as unknown as globalThis.Blob)
        .catch((e: unknown) => e),
      {
        status: 403,
        code: 'NOT_MEMBER',
      },
    )
  })

  t.test('avatars: setAvatar, avatarUrl in the user types, removeAvatar', async (t) => {
    const me = await alice.http.setAvatar(new Blob([png16()]) as unknown as globalThis.Blob)
    t.match(me.avatarUrl, new RegExp(`^/api/users/${alice.id}/avatar\\?v=[0-9a-f]{24}$`))
    t.equal((await bob.http.user(alice.id)).avatarUrl, me.avatarUrl, 'in the public view')
    t.match(
      await alice.http
        .setAvatar(new Blob(['not a picture']) as unknown as globalThis.Blob)
        .catch((e: unknown) => e),
      { status: 400, code: 'INVALID_IMAGE' },
    )
    t.equal((await alice.http.removeAvatar()).avatarUrl, null)
  })

  t.test('codes: list without the plain code, revoke', async (t) => {
    const [code] = await root.http.mintInviteCodes({ count: 1 })
    const listed = await root.http.codes({ type: 'invite', status: 'unused', limit: 200 })
    const mine = listed.items.find((c) => c.id === code!.id)
    t.ok(mine, 'the new code is listed')
    t.notOk('code' in (mine ?? {}), 'never the plain code')
    await root.http.revokeCode(code!.id)
    const revoked = await root.http.codes({ status: 'revoked' })
    t.ok(revoked.items.some((c) => c.id === code!.id))
    const register = await new ChatHttp({ baseUrl: server.base })
      .register({ username: 'too_late', password: 'password-123', inviteCode: code!.code })
      .catch((e: unknown) => e)
    t.match(register, { status: 400, code: 'INVALID_CODE' })
    t.match(await alice.http.codes().catch((e: unknown) => e), { status: 403, code: 'FORBIDDEN' })
  })

  t.test('lineage: own codes, codes minted for a member, the tree, a freeze', async (t) => {
    const carol = await user(server)
    const [own] = await carol.http.mintMyInviteCodes(1)
    const [held] = await root.http.mintInviteCodes({ count: 1, for: carol.id })
    t.same(
      (await carol.http.myInviteCodes()).items.map((c) => c.id).sort(),
      [own!.id, held!.id].sort(),
      'both held by carol',
    )
    const guest = new ChatHttp({ baseUrl: server.base })
    const joined = await guest.register({
      username: 'lineage_guest',
      password: 'password-123',
      inviteCode: own!.code,
    })
    const tree = await root.http.invitees(carol.id, 2)
    t.match(tree, { user: { id: carol.id }, total: 2, truncated: false })
    t.match(tree.children[0], { user: { id: joined.user.id }, invitedBy: { id: carol.id }, children: [] })
    const frozen = await root.http.freeze(carol.id, { subtree: true, minutes: 5, revokeCodes: true })
    t.same([...frozen.frozen].sort(), [carol.id, joined.user.id].sort())
    t.equal(frozen.codesRevoked, 1, 'the held code, unused')
    t.match(await alice.http.freeze(bob.id).catch((e: unknown) => e), { status: 403, code: 'FORBIDDEN' })
  })

  t.test('password change: the other sessions end, this one stays', async (t) => {
    const carol = await user(server)
    const other = new ChatHttp({ baseUrl: server.base })
    await other.login({ username: carol.username, password: 'password-123' })
    await carol.http.changePassword({ currentPassword: 'password-123', newPassword: 'another-pass-456' })
    t.match(await carol.http.me(), { id: carol.id })
    t.match(await other.me().catch((e: unknown) => e), { status: 401, code: 'UNAUTHENTICATED' })
    const wrong = await carol.http
      .changePassword({ currentPassword: 'nope-nope', newPassword: 'x-another-789' })
      .catch((e: unknown) => e)
    t.ok(wrong instanceof ApiError)
  })

  t.test('leaving: the export, then the account deleted', async (t) => {
    const erin = await user(server)
    t.equal(erin.http.exportUrl(), `${server.base}/api/me/export`)
    const zip = await erin.http.exportData()
    t.match(zip.name, new RegExp(`^roomchat-export-${erin.username}-\\d{4}-\\d{2}-\\d{2}\\.zip$`))
    t.equal(zip.contentType, 'application/zip')
    const head = new Uint8Array(await zip.blob.slice(0, 4).arrayBuffer())
    t.same([...head], [0x50, 0x4b, 0x03, 0x04], 'a zip')
    t.match(await erin.http.deleteAccount({ password: 'wrong-wrong' }).catch((e: unknown) => e), {
      status: 400,
      code: 'BAD_CREDENTIALS',
    })
    await erin.http.deleteAccount({ password: 'password-123', eraseMessages: true })
    t.match(await new ChatHttp({ baseUrl: server.base, token: erin.token }).me().catch((e: unknown) => e), {
      status: 401,
      code: 'UNAUTHENTICATED',
    })
    t.match(await alice.http.user(erin.id), { displayName: 'deleted user', deleted: true })
  })

  t.test('TOTP: setup, enable, login needs it, disable; each with the current password', async (t) => {
    const dave = await user(server)
    const password = 'password-123'
    const refused = (p: Promise<unknown>) => p.catch((e: unknown) => e)
    t.match(await refused(dave.http.totpSetup({ password: 'not-the-password' })), {
      status: 400,
      code: 'BAD_CREDENTIALS',
    })
    const { secret, otpauthUrl } = await dave.http.totpSetup({ password })
    t.match(otpauthUrl, /^otpauth:\/\/totp\//)
    t.match(await refused(dave.http.enableTotp({ code: '000000', password })), {
      status: 400,
      code: 'BAD_TOTP',
    })
    const code = await generate({ secret })
    t.match(await refused(dave.http.enableTotp({ code, password: 'not-the-password' })), {
      status: 400,
      code: 'BAD_CREDENTIALS',
    })
    await dave.http.enableTotp({ code, password })
    t.equal((await dave.http.me()).totpEnabled, true)
    const without = await new ChatHttp({ baseUrl: server.base })
      .login({ username: dave.username, password })
      .catch((e: unknown) => e)
    t.match(without, { status: 401, code: 'TOTP_REQUIRED' })
    const next = await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 })
    t.match(await refused(dave.http.totpSetup({ password })), { status: 400, code: 'TOTP_REQUIRED' })
    await dave.http.disableTotp({ code: next, password })
    t.equal((await dave.http.me()).totpEnabled, false)
  })

  t.test('user admin: promote, ban', async (t) => {
    const erin = await user(server)
    t.match(await root.http.updateUser(erin.id, { role: 'admin' }), { id: erin.id, role: 'admin' })
    t.match(await root.http.updateUser(erin.id, { banned: true, role: 'user' }), { banned: true })
    t.match(await erin.http.me().catch((e: unknown) => e), { status: 401 })
  })

  t.test('Content-Disposition names', async (t) => {
    t.equal(fileNameOf(`attachment; filename="a.txt"; filename*=UTF-8''%C3%A9t%C3%A9.txt`), 'été.txt')
    t.equal(fileNameOf('inline; filename="plain \\"q\\".png"'), 'plain "q".png')
    t.equal(fileNameOf(null), null)
  })
})
