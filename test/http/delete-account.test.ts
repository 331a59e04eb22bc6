// Deleting one's account (DELETE /api/me): both factors asked, everything of theirs gone, the
// name kept for good, and with eraseMessages every message a deletion event in its room.
import { randomBytes } from 'node:crypto'
import { generate } from 'otplib'
import t from 'tap'
import type { App } from '../../src/app.ts'
import { type Caller, call, loginAdmin, newUser } from '../helpers/api.ts'
import { backendName, buildTestApp } from '../helpers/app.ts'
import { joinRoom, listen, socketOpener } from '../helpers/ws.ts'

t.comment(`backend: ${backendName}`)

const PW = 'password-123'
let n = 0
/** A username with an `o`, so `0` in its place makes a confusable variant. */
const goner = () => `goner${process.pid % 1000}_${n++}`

async function uploadFile(app: App, as: Caller, roomId: string, name: string, data: Buffer) {
  const boundary = `----roomchat${randomBytes(8).toString('hex')}`
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
    data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ])
  const res = await app.inject({
    method: 'POST',
    url: `/api/rooms/${roomId}/files`,
    headers: {
      authorization: `Bearer ${as.token}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
    },
    payload: body,
  })
  if (res.statusCode !== 201) throw new Error(`upload: ${res.statusCode} ${res.body}`)
  return res.json() as { file: { id: string }; message: { seq: number } }
}

async function send(app: App, as: Caller, roomId: string, text: string): Promise<number> {
  const res = await call(app, 'POST', `/api/rooms/${roomId}/messages`, {
    as,
    body: { text, clientMsgId: `c-${randomBytes(6).toString('hex')}` },
  })
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.message.seq
}

/** A user with a room shared with `bob`, a direct room with him, messages, a file and posts. */
async function busyUser(app: App) {
  const user = await newUser(app, goner())
  const bob = await newUser(app)
  // Creating rooms is for VIPs: the user gets some days.
  await app.core.internals.store.users.extendVip(user.userId, 30, new Date())
  const room = (await call(app, 'POST', '/api/rooms', { as: user, body: { name: `r-${n++}` } })).body.room
  t.equal((await call(app, 'POST', `/api/rooms/${room.id}/join`, { as: bob })).status, 200)
  const dm = (await call(app, 'POST', '/api/dms', { as: user, body: { userId: bob.userId } })).body.room
  const seqs = [await send(app, user, room.id, 'first words'), await send(app, user, room.id, 'second words')]
  await send(app, bob, room.id, 'bob answers')
  const dmSeq = await send(app, user, dm.id, 'just between us')
  const uploaded = await uploadFile(app, user, room.id, 'notes.txt', Buffer.from('some notes'))
  seqs.push(uploaded.message.seq)
  const homePost = await call(app, 'POST', '/api/posts', { as: user, body: { text: 'hello home' } })
  const wallPost = await call(app, 'POST', `/api/users/${bob.userId}/posts`, {
    as: user,
    body: { text: 'hello bob' },
  })
  t.equal(homePost.status, 201)
  t.equal(wallPost.status, 201)
  return { user, bob, room, dm, seqs, dmSeq, fileId: uploaded.file.id }
}

t.test('a wrong password or a missing or wrong code is refused, and nothing changes', async (t) => {
  const app = await buildTestApp(t)
  const user = await newUser(app, goner())
  const wrong = await call(app, 'DELETE', '/api/me', { as: user, body: { password: 'not-the-password' } })
  t.equal(wrong.status, 400)
  t.equal(wrong.body.code, 'BAD_CREDENTIALS')
  const missing = await call(app, 'DELETE', '/api/me', { as: user, body: {} })
  t.equal(missing.status, 400)
  t.equal(missing.body.code, 'VALIDATION')

  const setup = await call(app, 'POST', '/api/auth/totp/setup', { as: user, body: { password: PW } })
  const secret: string = setup.body.secret
  const enable = await call(app, 'POST', '/api/auth/totp/enable', {
    as: user,
    body: { code: await generate({ secret }), password: PW },
  })
  t.equal(enable.status, 204)
  const noCode = await call(app, 'DELETE', '/api/me', { as: user, body: { password: PW } })
  t.equal(noCode.status, 400)
  t.equal(noCode.body.code, 'TOTP_REQUIRED')
  const badCode = await call(app, 'DELETE', '/api/me', { as: user, body: { password: PW, totp: '000000' } })
  t.equal(badCode.status, 400)
  t.equal(badCode.body.code, 'BAD_TOTP')

  const me = await call(app, 'GET', '/api/me', { as: user })
  t.equal(me.status, 200, 'the session still works')
  t.equal(me.body.user.displayName, user.username)
  t.notOk((await call(app, 'GET', `/api/users/${user.userId}`, { as: user })).body.user.deleted)
})

t.test('password guesses here count as failed logins', async (t) => {
  const app = await buildTestApp(t, undefined, { RATE_LOGIN_USER: '2' })
  const user = await newUser(app, goner())
  for (let i = 0; i < 2; i++)
    t.equal(
      (await call(app, 'DELETE', '/api/me', { as: user, body: { password: 'guess-guess' } })).status,
      400,
    )
  const limited = await call(app, 'DELETE', '/api/me', { as: user, body: { password: PW } })
  t.equal(limited.status, 429)
  t.equal(limited.body.code, 'RATE_LIMITED')
  t.ok(limited.headers['retry-after'])
  t.equal((await call(app, 'GET', '/api/me', { as: user })).status, 200, 'not deleted')
})

t.test(
  'deleting: signed out everywhere, files and posts gone, shown as "deleted user", the name kept',
  async (t) => {
    const app = await buildTestApp(t)
    const { user, bob, room, dm, seqs, dmSeq, fileId } = await busyUser(app)
    t.equal((await call(app, 'GET', `/api/files/${fileId}`, { as: bob })).status, 200)

    const del = await call(app, 'DELETE', '/api/me', { as: user, body: { password: PW } })
    t.equal(del.status, 204)

    t.equal((await call(app, 'GET', '/api/me', { as: user })).status, 401, 'the session is revoked')
    const again = await call(app, 'DELETE', '/api/me', { as: user, body: { password: PW } })
    t.equal(again.status, 401, 'a second deletion with the same session')
    const login = await call(app, 'POST', '/api/auth/login', {
      body: { username: user.username, password: PW },
    })
    t.equal(login.status, 401)
    t.equal(login.body.code, 'BAD_CREDENTIALS')

    t.equal((await call(app, 'GET', `/api/files/${fileId}`, { as: bob })).status, 404, 'the file is gone')
    const home = await call(app, 'GET', '/api/posts', { as: bob })
    t.notOk(
      home.body.items.some((p: { text: string }) => p.text === 'hello home'),
      'the home wall post is gone',
    )
    const wall = await call(app, 'GET', `/api/users/${bob.userId}/posts`, { as: bob })
    t.equal(wall.body.items.length, 0, "the post on another's wall is gone")

    const history = await call(app, 'GET', `/api/rooms/${room.id}/messages`, { as: bob })
    t.equal(history.status, 200)
    const theirs = history.body.items.filter(
      (m: { from: { id: string } | null }) => m.from?.id === user.userId,
    )
    t.equal(theirs.length, seqs.length)
    for (const m of theirs) {
      t.equal(m.from.displayName, 'deleted user')
      t.equal(m.from.avatarUrl, null)
      t.equal(m.from.deleted, true, 'the author says the account is gone')
    }
    const living = history.body.items.find((m: { from: { id: string } | null }) => m.from?.id === bob.userId)
    t.equal(living.text, 'bob answers')
    t.notOk('deleted' in living.from, 'a living author carries no flag')
    const taken = await call(app, 'PATCH', '/api/me', { as: bob, body: { displayName: 'Deleted User' } })
    t.equal(taken.status, 409, "the deleted accounts' name is no one else's")
    t.equal(taken.body.code, 'NAME_TAKEN')
    t.same(
      theirs.filter((m: { kind: string }) => m.kind === 'text').map((m: { text: string }) => m.text),
      ['first words', 'second words'],
      'without eraseMessages the messages stay',
    )
    const fileMessage = theirs.find((m: { kind: string }) => m.kind === 'file')
    t.notOk(fileMessage.file, 'the file message shows its file as gone')
    const dmHistory = await call(app, 'GET', `/api/rooms/${dm.id}/messages`, { as: bob })
    t.equal(
      dmHistory.body.items.find((m: { seq: number }) => m.seq === dmSeq).from.displayName,
      'deleted user',
    )

    const page = await call(app, 'GET', `/api/users/${user.userId}`, { as: bob })
    t.equal(page.status, 200)
    t.equal(page.body.user.displayName, 'deleted user')
    t.equal(page.body.user.deleted, true)
    t.equal(page.body.user.bio, '')
    const search = await call(app, 'GET', `/api/users?q=${user.username}`, { as: bob })
    t.equal(search.body.items.length, 0, 'not found in the directory')
    const listed = await call(app, 'GET', '/api/users?limit=100', { as: bob })
    t.notOk(listed.body.items.some((u: { id: string }) => u.id === user.userId))

    const members = await call(app, 'GET', `/api/rooms/${room.id}/members`, { as: bob })
    t.same(
      members.body.items.map((m: { user: { id: string } }) => m.user.id),
      [bob.userId],
      'the membership is left',
    )

    const admin = await loginAdmin(app)
    const [code1, code2, code3] = await Promise.all([
      app.core.codes.mint('invite', { count: 1, createdBy: null }),
      app.core.codes.mint('invite', { count: 1, createdBy: null }),
      app.core.codes.mint('invite', { count: 1, createdBy: null }),
    ])
    t.ok(admin)
    for (const [name, code] of [
      [user.username, code1],
      [user.username.toUpperCase(), code2],
      [user.username.replace('o', '0'), code3],
    ] as const) {
      const reg = await call(app, 'POST', '/api/auth/register', {
        body: { username: name, password: PW, inviteCode: code![0]!.code },
      })
      t.equal(reg.status, 409, `${name} is not given to anyone else`)
      t.equal(reg.body.code, 'USERNAME_TAKEN')
    }
  },
)

t.test('eraseMessages: every message becomes a deletion event, live and replayed', async (t) => {
  const app = await buildTestApp(t)
  const url = await listen(app)
  const open = socketOpener(t)
  const { user, bob, room, dm, seqs, dmSeq } = await busyUser(app)
  const live = await open(url, bob)
  await joinRoom(live, room.id)

  const del = await call(app, 'DELETE', '/api/me', { as: user, body: { password: PW, eraseMessages: true } })
  t.equal(del.status, 204)

  const deletionOf =
    (seq: number) => (f: { type: string; change?: { kind: string }; message?: { seq: number } }) =>
      f.type === 'update' && f.change?.kind === 'delete' && f.message?.seq === seq
  for (const seq of seqs) {
    const frame = await live.next(deletionOf(seq))
    t.equal(frame.message.deleted, true, `live: message ${seq} deleted`)
    t.equal(frame.message.text, '')
  }

  const history = await call(app, 'GET', `/api/rooms/${room.id}/messages`, { as: bob })
  for (const m of history.body.items) {
    if (m.from?.id === user.userId) t.ok(m.deleted && m.text === '', `history: ${m.seq} deleted`)
    else t.equal(m.text, 'bob answers', "others' messages stay")
  }
  const dmHistory = await call(app, 'GET', `/api/rooms/${dm.id}/messages`, { as: bob })
  t.equal(
    dmHistory.body.items.find((m: { seq: number }) => m.seq === dmSeq).deleted,
    true,
    'direct rooms too',
  )

  const replay = await open(url, bob)
  await joinRoom(replay, room.id, 0)
  for (const seq of seqs) t.ok(await replay.next(deletionOf(seq)), `replayed: deletion of ${seq}`)
  const dmReplay = await open(url, bob)
  await joinRoom(dmReplay, dm.id, 0)
  t.ok(await dmReplay.next(deletionOf(dmSeq)), 'replayed in the direct room')
})

t.test('the last admin who is not banned cannot leave', async (t) => {
  const app = await buildTestApp(t)
  const admin = await loginAdmin(app)
  const res = await call(app, 'DELETE', '/api/me', { as: admin, body: { password: 'admin-password-1' } })
  t.equal(res.status, 409)
  t.equal(res.body.code, 'LAST_ADMIN')
  t.equal((await call(app, 'GET', '/api/me', { as: admin })).status, 200)

  // With a second admin, one of them may go, and the other is then the last.
  const second = await newUser(app, goner())
  const promoted = await call(app, 'PATCH', `/api/admin/users/${second.userId}`, {
    as: admin,
    body: { role: 'admin' },
  })
  t.equal(promoted.status, 200)
  t.equal((await call(app, 'DELETE', '/api/me', { as: second, body: { password: PW } })).status, 204)
  t.equal(await app.core.internals.store.users.countAdmins(), 1, 'a deleted admin counts no more')
  const last = await call(app, 'DELETE', '/api/me', { as: admin, body: { password: 'admin-password-1' } })
  t.equal(last.body.code, 'LAST_ADMIN')
  t.equal((await call(app, 'GET', '/api/me', { as: admin })).body.user.role, 'admin')
})
