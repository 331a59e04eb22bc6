// Moderation that holds, and text that is stored as it was sent, on the run's backend: a muted
// member can neither edit nor react; a room's creator does not moderate a site admin; an admin
// deletes a message in a room they are not a member of; a lone UTF-16 surrogate is refused on
// every text input, over HTTP and on the socket; socket tickets are limited per user.
import t from 'tap'
import { type Caller, call, loginAdmin, newUser } from '../helpers/api.ts'
import { backendName, buildTestApp, sharedEnv } from '../helpers/app.ts'
import { joinRoom, listen, socketOpener } from '../helpers/ws.ts'

t.test(`moderation that holds on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const admin = await loginAdmin(app)
  let n = 0
  const room = async (creator: Caller, ...members: Caller[]) => {
    const id = (await call(app, 'POST', '/api/rooms', { as: creator, body: { name: `mh${n++}` } })).body.room
      .id as string
    for (const m of members)
      t.equal((await call(app, 'POST', `/api/rooms/${id}/join`, { as: m })).status, 200)
    return id
  }
  const send = (roomId: string, as: Caller, text: string) =>
    call(app, 'POST', `/api/rooms/${roomId}/messages`, { as, body: { text, clientMsgId: `c${n++}` } })
  const vip = async () => {
    const u = await newUser(app)
    // A room's creator needs VIP: an admin grants it through a code.
    const [code] = (
      await call(app, 'POST', '/api/admin/activation-codes', { as: admin, body: { count: 1, vipDays: 30 } })
    ).body.codes.map((c: { code: string }) => c.code)
    t.equal((await call(app, 'POST', '/api/me/vip', { as: u, body: { code } })).status, 200)
    return u
  }

  t.test('a muted member can neither edit nor react; after the mute both work again', async (t) => {
    const ann = await newUser(app)
    const id = await room(admin, ann)
    t.equal((await send(id, ann, 'first')).status, 201)
    const mute = (minutes: number) =>
      call(app, 'POST', `/api/rooms/${id}/members/${ann.userId}/mute`, { as: admin, body: { minutes } })
    t.equal((await mute(5)).status, 204)
    const edit = () =>
      call(app, 'PATCH', `/api/rooms/${id}/messages/1`, { as: ann, body: { text: 'changed' } })
    const react = () =>
      call(app, 'PUT', `/api/rooms/${id}/messages/1/reactions/${encodeURIComponent('👍')}`, { as: ann })
    for (const [what, res] of [
      ['edit', await edit()],
      ['react', await react()],
    ] as const) {
      t.equal(res.status, 403, `${what} while muted`)
      t.equal(res.body.code, 'MUTED', `${what} while muted`)
    }
    const [stored] = (await call(app, 'GET', `/api/rooms/${id}/messages`, { as: admin })).body.items
    t.match(stored, { text: 'first', editedAt: null, reactions: [] }, 'nothing changed')
    t.equal((await mute(0)).status, 204)
    t.equal((await edit()).status, 200, 'edit once the mute is lifted')
    t.equal((await react()).status, 204, 'react once the mute is lifted')
  })

  t.test("a room's creator neither kicks nor mutes a site admin; an admin does", async (t) => {
    const owner = await vip()
    const other = await loginAdmin(app)
    const id = await room(owner, admin)
    const kick = (as: Caller) => call(app, 'POST', `/api/rooms/${id}/members/${admin.userId}/kick`, { as })
    const mute = (as: Caller) =>
      call(app, 'POST', `/api/rooms/${id}/members/${admin.userId}/mute`, { as, body: { minutes: 5 } })
    for (const [what, res] of [
      ['kick', await kick(owner)],
      ['mute', await mute(owner)],
    ] as const) {
      t.equal(res.status, 403, `the creator may not ${what} an admin`)
      t.equal(res.body.code, 'FORBIDDEN')
    }
    t.equal((await send(id, admin, 'still here')).status, 201, 'the admin is neither muted nor out')
    // An admin moderates every member, another admin's session included (here: the same account).
    t.equal((await mute(other)).status, 204, 'an admin may mute an admin')
  })

  t.test('an admin deletes a message in a room they are not a member of', async (t) => {
    const [ann, bob] = [await newUser(app), await newUser(app)]
    const owner = await vip()
    const id = await room(owner, ann, bob)
    t.equal((await send(id, ann, 'spam')).status, 201)
    t.equal((await call(app, 'DELETE', `/api/rooms/${id}/messages/1`, { as: bob })).status, 403)
    const members = (await call(app, 'GET', `/api/rooms/${id}/members`, { as: owner })).body.items
    t.notOk(
      members.some((m: { id: string }) => m.id === admin.userId),
      'the admin is not a member',
    )
    t.equal((await call(app, 'DELETE', `/api/rooms/${id}/messages/1`, { as: admin })).status, 204)
    const [gone] = (await call(app, 'GET', `/api/rooms/${id}/messages`, { as: ann })).body.items
    t.match(gone, { seq: 1, deleted: true, text: '' })
    t.equal((await call(app, 'DELETE', `/api/rooms/${id}/messages/9`, { as: admin })).status, 404)
    t.equal(
      (await call(app, 'DELETE', '/api/rooms/0123456789abcdef01234567/messages/1', { as: admin })).status,
      404,
    )
  })

  t.test('a lone surrogate is refused on every text input; a pair is stored as sent', async (t) => {
    const ann = await newUser(app)
    const id = await room(admin, ann)
    const raw = (method: string, url: string, json: string) =>
      app.inject({
        method: method as 'POST',
        url,
        headers: { authorization: `Bearer ${ann.token}`, 'content-type': 'application/json' },
        payload: json,
      })
    const lone = '"x\\ud800y"'
    for (const [method, url, json] of [
      ['POST', `/api/rooms/${id}/messages`, `{"text":${lone},"clientMsgId":"s1"}`],
      ['PATCH', '/api/me', `{"displayName":${lone}}`],
      ['POST', `/api/users/${ann.userId}/posts`, `{"text":${lone}}`],
      ['POST', '/api/rooms', `{"name":${lone}}`],
      ['POST', `/api/rooms/${id}/messages`, '{"text":"ok","clientMsgId":"\\udfff"}'],
    ] as const) {
      const res = await raw(method, url, json)
      t.equal(res.statusCode, 400, `${method} ${url} ${json}`)
      t.equal(res.json().code, 'VALIDATION')
    }
    const pair = await raw(
      'POST',
      `/api/rooms/${id}/messages`,
      '{"text":"x\\ud83d\\ude00y","clientMsgId":"s2"}',
    )
    t.equal(pair.statusCode, 201, 'a surrogate pair is a character')
    const items = (await call(app, 'GET', `/api/rooms/${id}/messages`, { as: ann })).body.items
    t.same(
      items.map((m: { text: string }) => m.text),
      ['x😀y'],
      'only the well-formed message is stored, as sent',
    )

    // The socket: the send is refused with an error frame naming it, and nothing is stored.
    const open = socketOpener(t)
    const s = await open(await listen(app), ann)
    await joinRoom(s, id)
    s.send(`{"type":"send","room":"${id}","clientMsgId":"s3","text":${lone}}`)
    const err = await s.next((f) => f.type === 'error' && f.ref === 's3')
    t.equal(err.code, 'VALIDATION')
    t.equal((await call(app, 'GET', `/api/rooms/${id}`, { as: ann })).body.room.lastSeq, 1, 'nothing stored')
  })
})

t.test(`socket tickets are limited per user on ${backendName}`, async (t) => {
  const app = await buildTestApp(t, sharedEnv(t), { RATE_TICKET_USER: '3' })
  const [ann, bob] = [await newUser(app), await newUser(app)]
  const ticket = (as: Caller) => call(app, 'POST', '/api/auth/ws-ticket', { as })
  for (let i = 0; i < 3; i++) t.equal((await ticket(ann)).status, 200)
  const refused = await ticket(ann)
  t.equal(refused.status, 429)
  t.equal(refused.body.code, 'RATE_LIMITED')
  t.ok(Number(refused.headers['retry-after']) > 0, 'with Retry-After')
  t.equal((await ticket(bob)).status, 200, 'per user: another user still gets one')
})
