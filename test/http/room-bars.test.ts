// Moderation that keeps people out, and direct rooms that neither side can wipe, on the run's
// backend: a kick bars re-joining for its `minutes` (default 10; 0 only removes), a room ban
// until lifted; a room's creator neither kicks nor bans a site admin; a direct room is left
// (hidden until a new message) and deleted by an admin only, the other side keeping everything.
import t from 'tap'
import { type Caller, call, loginAdmin, newUser } from '../helpers/api.ts'
import { backendName, buildTestApp } from '../helpers/app.ts'
import { shiftedClock } from '../helpers/clock.ts'

// Kicks' bars run out by the clock: this file moves it forward instead of waiting.
const clock = shiftedClock()
t.teardown(clock.restore)
const MINUTE = 60_000

t.test(`bars and direct rooms on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const admin = await loginAdmin(app)
  let n = 0
  const vip = async () => {
    const u = await newUser(app)
    const [code] = (
      await call(app, 'POST', '/api/admin/activation-codes', { as: admin, body: { count: 1, vipDays: 30 } })
    ).body.codes.map((c: { code: string }) => c.code)
    t.equal((await call(app, 'POST', '/api/me/vip', { as: u, body: { code } })).status, 200)
    return u
  }
  const room = async (creator: Caller, ...members: Caller[]) => {
    const id = (await call(app, 'POST', '/api/rooms', { as: creator, body: { name: `rb${n++}` } })).body.room
      .id as string
    for (const m of members) t.equal((await join(id, m)).status, 200)
    return id
  }
  const join = (id: string, as: Caller) => call(app, 'POST', `/api/rooms/${id}/join`, { as })
  const send = (id: string, as: Caller, text: string) =>
    call(app, 'POST', `/api/rooms/${id}/messages`, { as, body: { text, clientMsgId: `c${n++}` } })
  const kick = (id: string, as: Caller, who: string, body?: object) =>
    call(app, 'POST', `/api/rooms/${id}/members/${who}/kick`, { as, ...(body ? { body } : {}) })
  const ban = (id: string, as: Caller, who: string, method: 'POST' | 'DELETE' = 'POST') =>
    call(app, method, `/api/rooms/${id}/members/${who}/ban`, { as })
  const refusedAs = (res: { status: number; body: { code: string } }, code: string, status = 403) => {
    t.equal(res.status, status)
    t.equal(res.body.code, code)
  }

  t.test('a kick keeps the user out for its minutes (10 by default), then they may join', async (t) => {
    const [owner, ann, bob] = [await vip(), await newUser(app), await newUser(app)]
    const id = await room(owner, ann, bob)
    t.equal((await kick(id, owner, ann.userId)).status, 204, 'no body: the default bar')
    refusedAs(await join(id, ann), 'BANNED_FROM_ROOM')
    refusedAs(await send(id, ann, 'sneaking in'), 'NOT_MEMBER')
    t.equal((await call(app, 'GET', `/api/rooms/${id}/messages`, { as: ann })).status, 403, 'reads nothing')
    clock.advance(9 * MINUTE)
    refusedAs(await join(id, ann), 'BANNED_FROM_ROOM')
    clock.advance(2 * MINUTE)
    t.equal((await join(id, ann)).status, 200, 'after 10 minutes')

    t.equal((await kick(id, owner, bob.userId, { minutes: 60 * 24 })).status, 204)
    clock.advance(60 * MINUTE)
    refusedAs(await join(id, bob), 'BANNED_FROM_ROOM')
    t.match((await join(id, bob)).body.message, /again at \d{4}-/, 'the message says until when')
    clock.advance(24 * 60 * MINUTE)
    t.equal((await join(id, bob)).status, 200)
  })

  t.test('a kick with minutes 0 only removes; bad minutes are refused', async (t) => {
    const [owner, ann] = [await vip(), await newUser(app)]
    const id = await room(owner, ann)
    for (const minutes of [-1, 10_081, 1.5, 'x'])
      t.equal((await kick(id, owner, ann.userId, { minutes })).status, 400, `minutes ${minutes}`)
    t.equal((await call(app, 'GET', `/api/rooms/${id}/messages`, { as: ann })).status, 200, 'still a member')
    t.equal((await kick(id, owner, ann.userId, { minutes: 0 })).status, 204)
    t.equal((await send(id, ann, 'x')).body.code, 'NOT_MEMBER', 'removed')
    t.equal((await join(id, ann)).status, 200, 'and back at once')
  })

  t.test('a room ban holds until lifted, for members and not members alike', async (t) => {
    const [owner, ann, eve] = [await vip(), await newUser(app), await newUser(app)]
    const id = await room(owner, ann)
    t.equal((await ban(id, ann, owner.userId)).status, 403, 'a member may not ban')
    t.equal((await ban(id, owner, ann.userId)).status, 204)
    t.equal((await ban(id, owner, eve.userId)).status, 204, 'a pre-emptive ban')
    t.equal((await ban(id, owner, owner.userId)).status, 403, 'not the creator')
    t.equal((await ban(id, owner, '0'.repeat(24))).status, 404, 'no such user')
    t.equal((await ban('0'.repeat(24), owner, ann.userId)).status, 404, 'no such room')
    refusedAs(await send(id, ann, 'x'), 'NOT_MEMBER')
    clock.advance(8 * 24 * 60 * MINUTE) // past the longest kick (a week)
    refusedAs(await join(id, ann), 'BANNED_FROM_ROOM')
    refusedAs(await join(id, eve), 'BANNED_FROM_ROOM')
    t.match((await join(id, ann)).body.message, /banned/)
    const members = (await call(app, 'GET', `/api/rooms/${id}/members`, { as: owner })).body.items
    t.same(
      members.map((m: any) => m.user.id),
      [owner.userId],
    )
    t.equal((await ban(id, owner, ann.userId, 'DELETE')).status, 204)
    t.equal((await ban(id, owner, ann.userId, 'DELETE')).status, 204, 'idempotent')
    t.equal((await join(id, ann)).status, 200, 'lifted')
    refusedAs(await join(id, eve), 'BANNED_FROM_ROOM')
    t.equal((await ban(id, admin, eve.userId, 'DELETE')).status, 204, 'an admin lifts it too')
    t.equal((await join(id, eve)).status, 200)
  })

  t.test("a room's creator neither kicks nor bans a site admin; an admin bans an admin", async (t) => {
    const owner = await vip()
    const id = await room(owner, admin)
    const other = await newUser(app)
    t.equal(
      (await call(app, 'PATCH', `/api/admin/users/${other.userId}`, { as: admin, body: { role: 'admin' } }))
        .status,
      200,
    )
    t.equal((await join(id, other)).status, 200)
    for (const res of [
      await kick(id, owner, admin.userId),
      await kick(id, owner, admin.userId, { minutes: 0 }),
      await ban(id, owner, admin.userId),
      await ban(id, owner, admin.userId, 'DELETE'),
    ])
      refusedAs(res, 'FORBIDDEN')
    t.equal((await send(id, admin, 'still here')).status, 201)
    t.equal((await ban(id, admin, other.userId)).status, 204)
    refusedAs(await join(id, other), 'BANNED_FROM_ROOM')
  })

  t.test('a direct room: no moderation in it', async (_t) => {
    const [ann, bob] = [await newUser(app), await newUser(app)]
    const dm = (await call(app, 'POST', '/api/dms', { as: ann, body: { userId: bob.userId } })).body.room
    refusedAs(await ban(dm.id, ann, bob.userId), 'FORBIDDEN')
    refusedAs(await kick(dm.id, ann, bob.userId, { minutes: 5 }), 'FORBIDDEN')
  })

  t.test(
    'neither member deletes a direct room; the other keeps messages and files; an admin may',
    async (t) => {
      const [ann, bob] = [await newUser(app), await newUser(app)]
      const dm = (await call(app, 'POST', '/api/dms', { as: ann, body: { userId: bob.userId } })).body.room
      t.equal((await send(dm.id, bob, 'my words')).status, 201)
      const boundary = 'xyz'
      const up = await app.inject({
        method: 'POST',
        url: `/api/rooms/${dm.id}/files`,
        headers: {
          authorization: `Bearer ${bob.token}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
        },
        payload: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="b.txt"\r\nContent-Type: text/plain\r\n\r\nbob's bytes\r\n--${boundary}--\r\n`,
      })
      t.equal(up.statusCode, 201, up.body)
      const fileId = up.json().file.id
      for (const as of [ann, bob])
        refusedAs(await call(app, 'DELETE', `/api/rooms/${dm.id}`, { as }), 'FORBIDDEN')
      const items = (await call(app, 'GET', `/api/rooms/${dm.id}/messages`, { as: bob })).body.items
      t.same(
        items.map((m: any) => m.text),
        ['my words', 'b.txt'],
        'everything still there',
      )
      t.equal((await call(app, 'GET', `/api/files/${fileId}`, { as: bob })).body, "bob's bytes")
      t.equal((await call(app, 'GET', `/api/rooms/${dm.id}`, { as: ann })).status, 200)
      t.equal((await call(app, 'DELETE', `/api/rooms/${dm.id}`, { as: admin })).status, 204, 'an admin may')
      t.equal((await call(app, 'GET', `/api/rooms/${dm.id}`, { as: bob })).status, 404)
    },
  )

  t.test('leaving a direct room hides it from my lists and unread until a new message', async (t) => {
    const [ann, bob] = [await newUser(app), await newUser(app)]
    const dm = (await call(app, 'POST', '/api/dms', { as: ann, body: { userId: bob.userId } })).body.room
    const listed = async (as: Caller) =>
      (await call(app, 'GET', '/api/rooms?mine=true', { as })).body.items.some((r: any) => r.id === dm.id)
    const unread = async (as: Caller) =>
      (await call(app, 'GET', '/api/me/unread', { as })).body.items.find((u: any) => u.room === dm.id)
    t.equal((await send(dm.id, bob, 'one')).status, 201)
    t.match(await unread(ann), { unread: 1 })
    t.equal((await call(app, 'POST', `/api/rooms/${dm.id}/leave`, { as: ann })).status, 204)
    t.equal((await call(app, 'POST', `/api/rooms/${dm.id}/leave`, { as: ann })).status, 204, 'idempotent')
    t.equal(await listed(ann), false, 'hidden from ann')
    t.equal(await unread(ann), undefined, 'not unread any more')
    t.equal(await listed(bob), true, 'bob keeps it')
    t.match((await call(app, 'GET', `/api/rooms/${dm.id}`, { as: bob })).body.room, { memberCount: 2 })
    t.equal((await send(dm.id, bob, 'two')).status, 201, 'bob still writes to ann')
    t.equal(await listed(ann), true, 'a new message brings it back')
    t.match(await unread(ann), { unread: 1 }, 'as unread')
    const history = (await call(app, 'GET', `/api/rooms/${dm.id}/messages`, { as: ann })).body.items
    t.same(
      history.map((m: any) => m.text),
      ['one', 'two'],
      'nothing of either side lost',
    )
    // Hidden again, then opened from ann's side: listed again with no new message.
    t.equal((await call(app, 'POST', `/api/rooms/${dm.id}/leave`, { as: ann })).status, 204)
    t.equal(await listed(ann), false)
    t.equal(
      (await call(app, 'POST', '/api/dms', { as: ann, body: { userId: bob.userId } })).body.room.id,
      dm.id,
    )
    t.equal(await listed(ann), true, 'opening it lists it again')
  })
})
