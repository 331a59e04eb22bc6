// Search, jump to a message and pins over HTTP on the run's backend: the contract's section
// "Finding things" (docs/http-api.md), authorization by membership at the time of the search.
import t from 'tap'
import { type Caller, call, loginAdmin, newUser } from '../helpers/api.ts'
import { backendName, buildTestApp } from '../helpers/app.ts'
import { joinRoom, listen, socketOpener } from '../helpers/ws.ts'

t.test(`search, jump and pins over HTTP on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const admin = await loginAdmin(app)
  let n = 0
  const room = async (creator: Caller, ...members: Caller[]) => {
    // Creating a room takes VIP.
    await app.core.internals.store.users.extendVip(creator.userId, 30, new Date())
    const id = (await call(app, 'POST', '/api/rooms', { as: creator, body: { name: `r${n++}` } })).body.room
      .id as string
    for (const m of members)
      t.equal((await call(app, 'POST', `/api/rooms/${id}/join`, { as: m })).status, 200)
    return id
  }
  const send = async (roomId: string, as: Caller, text: string) =>
    (await call(app, 'POST', `/api/rooms/${roomId}/messages`, { as, body: { text, clientMsgId: `c${n++}` } }))
      .body.message
  const search = async (as: Caller, query: string) => call(app, 'GET', `/api/search?${query}`, { as })
  const texts = async (as: Caller, q: string, extra = '') =>
    ((await search(as, `q=${encodeURIComponent(q)}${extra}`)).body.items as any[]).map((h) => h.message.text)

  t.test('finds Chinese by any two characters and accents either way, with highlights', async (t) => {
    const [ann, bob] = [await newUser(app), await newUser(app)]
    const id = await room(admin, ann, bob)
    await send(id, ann, '我们在聊天室见')
    await send(id, bob, 'Rendez-vous au Café')
    const res = await search(bob, `q=${encodeURIComponent('聊天')}`)
    t.equal(res.status, 200)
    t.match(res.body.items, [
      { room: { id, kind: 'room' }, message: { text: '我们在聊天室见' }, highlights: [[3, 5]] },
    ])
    t.equal(res.body.nextCursor, null)
    t.same(await texts(ann, 'cafe'), ['Rendez-vous au Café'])
    t.same(await texts(ann, 'CAFÉ rendez'), ['Rendez-vous au Café'])
  })

  t.test('bad queries are 400 VALIDATION', async (t) => {
    const ann = await newUser(app)
    for (const q of [
      'q=',
      '',
      `q=${'字'.repeat(201)}`,
      'q=%20%20',
      'q=x&limit=0',
      'q=x&cursor=%%',
      'q=x&room=nope',
    ]) {
      const res = await search(ann, q)
      t.equal(res.status, 400, q.slice(0, 20))
      t.equal(res.body.code ?? res.body.error?.code, 'VALIDATION')
    }
    t.equal((await search(ann, `q=${'字'.repeat(200)}`)).status, 200, '200 code points are fine')
    t.equal((await call(app, 'GET', '/api/search?q=x')).status, 401)
  })

  t.test(
    'a member who left or was kicked finds nothing of that room; a DM of two others never',
    async (t) => {
      const [ann, bob, cat] = [await newUser(app), await newUser(app), await newUser(app)]
      const id = await room(admin, ann, bob)
      await send(id, ann, 'zebra crossing')
      t.same(await texts(bob, 'zebra'), ['zebra crossing'])
      t.same(await texts(cat, 'zebra'), [], 'never a member')
      await call(app, 'POST', `/api/rooms/${id}/leave`, { as: bob })
      t.same(await texts(bob, 'zebra'), [], 'left')
      t.equal(
        (await call(app, 'POST', `/api/rooms/${id}/members/${ann.userId}/kick`, { as: admin })).status,
        204,
      )
      t.same(await texts(ann, 'zebra'), [], 'kicked')
      const dm = (await call(app, 'POST', '/api/dms', { as: ann, body: { userId: bob.userId } })).body.room.id
      await send(dm, ann, 'zebra secret')
      t.same(await texts(bob, 'zebra'), ['zebra secret'])
      t.same(await texts(cat, 'zebra'), [])
      t.same(await texts(admin, 'zebra'), ['zebra crossing'], 'an admin searches their own rooms only')
      // A room asked for by id answers as the room's other routes do.
      const only = (as: Caller, room: string) => search(as, `q=zebra&room=${room}`)
      t.same((await only(bob, dm)).body.items.length, 1)
      t.same([(await only(cat, id)).status, (await only(cat, id)).body.code], [403, 'NOT_MEMBER'])
      const hidden = await only(cat, dm)
      const unknown = await only(cat, '0123456789abcdef01234567')
      t.same([hidden.status, hidden.body.code], [404, 'NOT_FOUND'], "someone else's direct room")
      t.same(hidden.body, unknown.body, 'as a room that does not exist')
    },
  )

  t.test('edited by the new text only, deleted never', async (t) => {
    const ann = await newUser(app)
    const id = await room(ann)
    const m = await send(id, ann, 'kangaroo 袋鼠')
    await call(app, 'PATCH', `/api/rooms/${id}/messages/${m.seq}`, { as: ann, body: { text: 'koala 考拉' } })
    t.same(await texts(ann, 'kangaroo'), [])
    t.same(await texts(ann, '袋鼠'), [])
    t.same(await texts(ann, '考拉'), ['koala 考拉'])
    await call(app, 'DELETE', `/api/rooms/${id}/messages/${m.seq}`, { as: ann })
    t.same(await texts(ann, 'koala'), [])
  })

  t.test('around: the page centred on a seq, its cursors go on', async (t) => {
    const ann = await newUser(app)
    const id = await room(ann)
    for (let i = 1; i <= 20; i++) await send(id, ann, `m${i}`)
    const page = await call(app, 'GET', `/api/rooms/${id}/messages?around=10&limit=5`, { as: ann })
    t.equal(page.status, 200)
    t.same(
      page.body.items.map((m: any) => m.seq),
      [8, 9, 10, 11, 12],
    )
    const older = await call(app, 'GET', `/api/rooms/${id}/messages?cursor=${page.body.prevCursor}&limit=5`, {
      as: ann,
    })
    t.same(
      older.body.items.map((m: any) => m.seq),
      [3, 4, 5, 6, 7],
    )
    const newer = await call(app, 'GET', `/api/rooms/${id}/messages?cursor=${page.body.nextCursor}&limit=5`, {
      as: ann,
    })
    t.same(
      newer.body.items.map((m: any) => m.seq),
      [13, 14, 15, 16, 17],
    )
    const last = await call(app, 'GET', `/api/rooms/${id}/messages?around=20&limit=5`, { as: ann })
    t.same(
      last.body.items.map((m: any) => m.seq),
      [18, 19, 20],
    )
    t.equal(last.body.nextCursor, null)
    t.equal((await call(app, 'GET', `/api/rooms/${id}/messages?around=5&before=3`, { as: ann })).status, 400)
    t.equal((await call(app, 'GET', `/api/rooms/${id}/messages?cursor=bad`, { as: ann })).status, 400)
    t.equal(
      (await call(app, 'GET', `/api/rooms/${id}/messages?cursor=`, { as: ann })).status,
      400,
      'an empty cursor',
    )
    const stranger = await newUser(app)
    t.equal((await call(app, 'GET', `/api/rooms/${id}/messages?around=5`, { as: stranger })).status, 403)
  })

  t.test('pins: creator or admin, idempotent, events in the stream, at most 50', async (t) => {
    const [owner, bob] = [await newUser(app), await newUser(app)]
    const id = await room(admin, owner, bob)
    // The room's creator here is the admin; a room of the owner's own:
    const own = await room(owner, bob)
    for (let i = 0; i < 3; i++) await send(own, bob, `pin me ${i}`)
    const url = await listen(app)
    const watcher = await socketOpener(t)(url, bob)
    await joinRoom(watcher, own)
    t.equal((await call(app, 'PUT', `/api/rooms/${own}/pins/1`, { as: bob })).status, 403, 'a member only')
    t.equal((await call(app, 'PUT', `/api/rooms/${own}/pins/1`, { as: owner })).status, 204)
    t.equal((await call(app, 'PUT', `/api/rooms/${own}/pins/1`, { as: owner })).status, 204, 'idempotent')
    t.equal(
      (await call(app, 'PUT', `/api/rooms/${own}/pins/2`, { as: admin })).status,
      204,
      'an admin, not a member',
    )
    t.equal((await call(app, 'PUT', `/api/rooms/${own}/pins/99`, { as: owner })).status, 404)
    const frames = await watcher.collect('pin', 2)
    t.match(frames, [
      { type: 'pin', room: own, seq: 4, message: { seq: 1, text: 'pin me 0' }, pinned: true },
      { type: 'pin', room: own, seq: 5, message: { seq: 2 }, pinned: true },
    ])
    const pins = await call(app, 'GET', `/api/rooms/${own}/pins`, { as: bob })
    t.equal(pins.status, 200)
    t.match(pins.body.items, [
      { message: { seq: 2 }, pinnedBy: { id: admin.userId } },
      { message: { seq: 1 }, pinnedBy: { id: owner.userId } },
    ])
    t.equal((await call(app, 'GET', `/api/rooms/${own}/pins`, { as: await newUser(app) })).status, 403)
    t.equal((await call(app, 'DELETE', `/api/rooms/${own}/pins/1`, { as: owner })).status, 204)
    t.equal((await call(app, 'DELETE', `/api/rooms/${own}/pins/1`, { as: owner })).status, 204)
    t.equal((await call(app, 'DELETE', `/api/rooms/${own}/pins/2`, { as: bob })).status, 403)
    const [, , unpin] = await watcher.collect('pin', 3)
    t.match(unpin, { seq: 6, message: { seq: 1 }, pinned: false })
    // Replayed by a resume.
    const late = await socketOpener(t)(url, bob)
    const from = late.frames.length
    await joinRoom(late, own, 3)
    const replay = await late.next((f) => f.type === 'pin' && f.seq === 6, 5000, from)
    t.equal(replay.pinned, false)
    // A deleted message cannot be pinned.
    await call(app, 'DELETE', `/api/rooms/${own}/messages/3`, { as: bob })
    const deleted = await call(app, 'PUT', `/api/rooms/${own}/pins/3`, { as: owner })
    t.equal(deleted.status, 409)
    t.equal(deleted.body.code ?? deleted.body.error?.code, 'DELETED')
    // The limit.
    for (let i = 0; i < 51; i++) await send(id, bob, `many ${i}`)
    for (let s = 1; s <= 50; s++)
      t.equal((await call(app, 'PUT', `/api/rooms/${id}/pins/${s}`, { as: admin })).status, 204)
    const full = await call(app, 'PUT', `/api/rooms/${id}/pins/51`, { as: admin })
    t.equal(full.status, 409)
    t.equal(full.body.code ?? full.body.error?.code, 'TOO_MANY_PINS')
    t.equal((await call(app, 'GET', `/api/rooms/${id}/pins`, { as: bob })).body.items.length, 50)
  })
})
