import t from 'tap'
import { type Caller, call, loginAdmin, mintCodes, newUser } from '../helpers/api.ts'
import { backendName, buildTestApp } from '../helpers/app.ts'
import { atTime } from '../helpers/clock.ts'

t.test(`rooms over HTTP on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const admin = await loginAdmin(app)
  const vip = async (name?: string): Promise<Caller> => {
    const user = await newUser(app, name)
    const [code] = await mintCodes(app, admin, 'activation', { count: 1, vipDays: 30 })
    t.equal((await call(app, 'POST', '/api/me/vip', { as: user, body: { code } })).status, 200)
    return user
  }
  const create = (as: Caller, body: object) => call(app, 'POST', '/api/rooms', { as, body })

  t.test('create: VIP or admin only; the creator is a member', async (t) => {
    const plain = await newUser(app)
    const refused = await create(plain, { name: 'Nope' })
    t.equal(refused.status, 403)
    t.equal(refused.body.code, 'VIP_REQUIRED')
    const owner = await vip()
    const res = await create(owner, { name: 'Café ☕ 茶', description: 'talk 🫖', maxMembers: 10 })
    t.equal(res.status, 201)
    t.match(res.body.room, {
      name: 'Café ☕ 茶',
      description: 'talk 🫖',
      memberCount: 1,
      maxMembers: 10,
      lastSeq: 0,
      creator: { id: owner.userId, username: owner.username },
    })
    t.same(
      (await call(app, 'GET', '/api/me', { as: owner })).body.user.rooms,
      [res.body.room.id],
      '/api/me lists it',
    )
    t.equal((await create(admin, { name: 'Admin room' })).status, 201, 'admins may always')
    for (const body of [
      {},
      { name: '' },
      { name: 'x'.repeat(81) },
      { name: 'ok', maxMembers: 1 },
      { name: 'ok', maxMembers: 10_001 },
      { name: 'ok', description: 'd'.repeat(501) },
    ]) {
      const bad = await create(owner, body)
      t.equal(bad.status, 400, JSON.stringify(body).slice(0, 50))
      t.equal(bad.body.code, 'VALIDATION')
    }
    t.equal((await call(app, 'POST', '/api/rooms', { body: { name: 'anon' } })).status, 401)
  })

  t.test('VIP rights end the moment VIP expires', async (t) => {
    const user = await newUser(app)
    const [code] = await mintCodes(app, admin, 'activation', { count: 1, vipDays: 1 })
    await call(app, 'POST', '/api/me/vip', { as: user, body: { code } })
    t.equal((await create(user, { name: 'In time' })).status, 201)
    const res = await atTime(Date.now() + 86_400_000 + 1000, () => create(user, { name: 'Too late' }))
    t.equal(res.status, 403)
    t.equal(res.body.code, 'VIP_REQUIRED')
  })

  t.test('join, leave, members, counts and /api/me stay in step', async (t) => {
    const owner = await vip()
    const room = (await create(owner, { name: 'Steps', maxMembers: 3 })).body.room
    const [a, b, c] = [await newUser(app), await newUser(app), await newUser(app)]
    const joined = await call(app, 'POST', `/api/rooms/${room.id}/join`, { as: a })
    t.equal(joined.status, 200)
    t.equal(joined.body.room.memberCount, 2)
    t.equal(
      (await call(app, 'POST', `/api/rooms/${room.id}/join`, { as: a })).body.room.memberCount,
      2,
      'idempotent',
    )
    t.equal((await call(app, 'POST', `/api/rooms/${room.id}/join`, { as: b })).body.room.memberCount, 3)
    const full = await call(app, 'POST', `/api/rooms/${room.id}/join`, { as: c })
    t.equal(full.status, 409)
    t.equal(full.body.code, 'ROOM_FULL')
    t.same((await call(app, 'GET', '/api/me', { as: a })).body.user.rooms, [room.id])
    const members = await call(app, 'GET', `/api/rooms/${room.id}/members`, { as: a })
    t.equal(members.status, 200)
    t.same(
      members.body.items.map((m: { user: { id: string } }) => m.user.id),
      [owner.userId, a.userId, b.userId],
      'join order',
    )
    t.same(
      members.body.items.map((m: { online: boolean }) => m.online),
      [false, false, false],
      'nobody has a socket open',
    )
    t.notOk(JSON.stringify(members.body).match(/passwordHash|totp/), 'public views only')
    const page1 = await call(app, 'GET', `/api/rooms/${room.id}/members?limit=2`, { as: a })
    const page2 = await call(
      app,
      'GET',
      `/api/rooms/${room.id}/members?limit=2&cursor=${page1.body.nextCursor}`,
      { as: a },
    )
    t.same(
      page2.body.items.map((m: { user: { id: string } }) => m.user.id),
      [b.userId],
    )
    t.equal(page2.body.nextCursor, null)
    t.equal((await call(app, 'GET', `/api/rooms/${room.id}/members`, { as: c })).body.code, 'NOT_MEMBER')

    t.equal((await call(app, 'POST', `/api/rooms/${room.id}/leave`, { as: a })).status, 204)
    t.equal((await call(app, 'POST', `/api/rooms/${room.id}/leave`, { as: a })).status, 204, 'idempotent')
    t.equal((await call(app, 'GET', `/api/rooms/${room.id}`, { as: a })).body.room.memberCount, 2)
    t.same((await call(app, 'GET', '/api/me', { as: a })).body.user.rooms, [])
    t.equal(
      (await call(app, 'POST', `/api/rooms/${room.id}/join`, { as: c })).status,
      200,
      'a place is free again',
    )
  })

  t.test('20 concurrent joins into a room with 4 free places: exactly 4 succeed', async (t) => {
    const owner = await vip()
    const room = (await create(owner, { name: 'Rush', maxMembers: 5 })).body.room
    const users = await Promise.all(Array.from({ length: 20 }, () => newUser(app)))
    const answers = await Promise.all(
      users.map((u) => call(app, 'POST', `/api/rooms/${room.id}/join`, { as: u })),
    )
    t.equal(answers.filter((a) => a.status === 200).length, 4)
    t.equal(answers.filter((a) => a.status === 409 && a.body.code === 'ROOM_FULL').length, 16)
    t.equal((await call(app, 'GET', `/api/rooms/${room.id}`, { as: owner })).body.room.memberCount, 5)
  })

  t.test('unknown and malformed room ids', async (t) => {
    const user = await newUser(app)
    const missing = '0123456789abcdef01234567'
    for (const [method, path] of [
      ['GET', `/api/rooms/${missing}`],
      ['POST', `/api/rooms/${missing}/join`],
      ['POST', `/api/rooms/${missing}/leave`],
      ['GET', `/api/rooms/${missing}/messages`],
      ['DELETE', `/api/rooms/${missing}`],
    ] as const) {
      const res = await call(app, method, path, { as: user })
      t.equal(res.status, 404, `${method} ${path}`)
      t.equal(res.body.code, 'NOT_FOUND')
    }
    t.equal((await call(app, 'GET', '/api/rooms/not-an-id', { as: user })).body.code, 'VALIDATION')
  })

  t.test('messages: members only, seq from 1, idempotent by clientMsgId, history pages', async (t) => {
    const owner = await vip()
    const room = (await create(owner, { name: 'Talk' })).body.room
    const outsider = await newUser(app)
    const send = (as: Caller, text: string, clientMsgId: string) =>
      call(app, 'POST', `/api/rooms/${room.id}/messages`, { as, body: { text, clientMsgId } })
    const refused = await send(outsider, 'hello', 'x1')
    t.equal(refused.status, 403)
    t.equal(refused.body.code, 'NOT_MEMBER')
    t.equal(
      (await call(app, 'GET', `/api/rooms/${room.id}/messages`, { as: outsider })).body.code,
      'NOT_MEMBER',
    )

    const first = await send(owner, 'héllo 👋🏽 — 你好 𝕏', 'c-1')
    t.equal(first.status, 201)
    t.match(first.body.message, {
      room: room.id,
      seq: 1,
      kind: 'text',
      text: 'héllo 👋🏽 — 你好 𝕏',
      clientMsgId: 'c-1',
      from: { id: owner.userId },
    })
    const again = await send(owner, 'changed', 'c-1')
    t.equal(again.body.message.id, first.body.message.id, 'a repeated clientMsgId returns the first message')
    t.equal(again.body.message.text, 'héllo 👋🏽 — 你好 𝕏')
    for (let i = 2; i <= 12; i++) t.equal((await send(owner, `m${i}`, `c-${i}`)).body.message.seq, i)
    t.equal((await call(app, 'GET', `/api/rooms/${room.id}`, { as: owner })).body.room.lastSeq, 12)

    const newest = await call(app, 'GET', `/api/rooms/${room.id}/messages?limit=5`, { as: owner })
    t.same(
      newest.body.items.map((m: { seq: number }) => m.seq),
      [8, 9, 10, 11, 12],
      'the newest, in seq order',
    )
    t.equal(newest.body.nextCursor, '8')
    const older = await call(app, 'GET', `/api/rooms/${room.id}/messages?limit=5&before=8`, { as: owner })
    t.same(
      older.body.items.map((m: { seq: number }) => m.seq),
      [3, 4, 5, 6, 7],
    )
    const oldest = await call(app, 'GET', `/api/rooms/${room.id}/messages?limit=5&before=3`, { as: owner })
    t.same(
      oldest.body.items.map((m: { seq: number }) => m.seq),
      [1, 2],
    )
    t.equal(oldest.body.nextCursor, null)
    const forward = await call(app, 'GET', `/api/rooms/${room.id}/messages?after=10`, { as: owner })
    t.same(
      forward.body.items.map((m: { seq: number }) => m.seq),
      [11, 12],
    )
    t.equal(forward.body.nextCursor, null)
    const fwdPage = await call(app, 'GET', `/api/rooms/${room.id}/messages?after=0&limit=4`, { as: owner })
    t.same(
      fwdPage.body.items.map((m: { seq: number }) => m.seq),
      [1, 2, 3, 4],
    )
    t.equal(fwdPage.body.nextCursor, '4')
    t.equal(forward.body.items[0].text, 'm11')
    for (const q of ['before=0', 'after=-1', 'limit=201', 'limit=0', 'after=1&before=5', 'before=abc']) {
      const bad = await call(app, 'GET', `/api/rooms/${room.id}/messages?${q}`, { as: owner })
      t.equal(bad.status, 400, q)
    }
  })

  t.test('message limits: 1..4000 code points, a clientMsgId', async (t) => {
    const owner = await vip()
    const room = (await create(owner, { name: 'Limits' })).body.room
    const send = (body: object) => call(app, 'POST', `/api/rooms/${room.id}/messages`, { as: owner, body })
    t.equal(
      (await send({ text: '😀'.repeat(4000), clientMsgId: 'big' })).status,
      201,
      '4000 astral code points fit',
    )
    t.equal((await send({ text: '😀'.repeat(4001), clientMsgId: 'too-big' })).status, 400)
    t.equal((await send({ text: '', clientMsgId: 'empty' })).status, 400)
    t.equal((await send({ text: '   \n ', clientMsgId: 'blank' })).status, 400)
    const nul = await send({ text: 'a\u0000b', clientMsgId: 'nul' })
    t.same([nul.status, nul.body.code], [400, 'VALIDATION'], 'U+0000 is refused on every backend')
    t.equal((await send({ text: 'no id' })).status, 400)
    t.equal((await send({ text: 'bad id', clientMsgId: 'has space' })).status, 400)
    t.equal((await send({ text: 'long id', clientMsgId: 'x'.repeat(65) })).status, 400)
    const stored = await call(app, 'GET', `/api/rooms/${room.id}/messages`, { as: owner })
    t.equal(stored.body.items.length, 1, 'nothing else was stored')
    t.equal([...stored.body.items[0].text].length, 4000)
  })

  t.test('50 concurrent sends get seqs 1..50 with no gap', async (t) => {
    const owner = await vip()
    const room = (await create(owner, { name: 'Burst' })).body.room
    const users = await Promise.all(Array.from({ length: 5 }, () => newUser(app)))
    for (const u of users) await call(app, 'POST', `/api/rooms/${room.id}/join`, { as: u })
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call(app, 'POST', `/api/rooms/${room.id}/messages`, {
          as: users[i % 5]!,
          body: { text: `n${i}`, clientMsgId: `b${i}` },
        }),
      ),
    )
    t.same(
      answers.map((a) => a.body.message.seq).sort((x, y) => x - y),
      Array.from({ length: 50 }, (_, i) => i + 1),
    )
  })

  t.test('list: busiest first, search, mine, paging', async (t) => {
    const owner = await vip()
    const tag = `qq${Date.now().toString(36)}`
    const small = (await create(owner, { name: `${tag} small` })).body.room
    const big = (await create(owner, { name: `${tag} BIG` })).body.room
    for (const u of [await newUser(app), await newUser(app)])
      await call(app, 'POST', `/api/rooms/${big.id}/join`, { as: u })
    const found = await call(app, 'GET', `/api/rooms?q=${tag.toUpperCase()}`, { as: owner })
    t.same(
      found.body.items.map((r: { id: string }) => r.id),
      [big.id, small.id],
    )
    const page = await call(app, 'GET', `/api/rooms?q=${tag}&limit=1`, { as: owner })
    t.equal(page.body.items.length, 1)
    const rest = await call(app, 'GET', `/api/rooms?q=${tag}&limit=1&cursor=${page.body.nextCursor}`, {
      as: owner,
    })
    t.same(
      rest.body.items.map((r: { id: string }) => r.id),
      [small.id],
    )
    const stranger = await newUser(app)
    t.same((await call(app, 'GET', '/api/rooms?mine=true', { as: stranger })).body.items, [])
    await call(app, 'POST', `/api/rooms/${small.id}/join`, { as: stranger })
    t.same(
      (await call(app, 'GET', '/api/rooms?mine=true', { as: stranger })).body.items.map(
        (r: { id: string }) => r.id,
      ),
      [small.id],
    )
    t.equal((await call(app, 'GET', '/api/rooms?cursor=zzz', { as: owner })).status, 400)
  })

  t.test('delete: creator or admin; others 403; the room and its messages go', async (t) => {
    const owner = await vip()
    const member = await newUser(app)
    const room = (await create(owner, { name: 'Doomed' })).body.room
    await call(app, 'POST', `/api/rooms/${room.id}/join`, { as: member })
    await call(app, 'POST', `/api/rooms/${room.id}/messages`, {
      as: member,
      body: { text: 'bye', clientMsgId: 'bye' },
    })
    const refused = await call(app, 'DELETE', `/api/rooms/${room.id}`, { as: member })
    t.equal(refused.status, 403)
    t.equal(refused.body.code, 'FORBIDDEN')
    t.equal((await call(app, 'DELETE', `/api/rooms/${room.id}`, { as: owner })).status, 204)
    t.equal((await call(app, 'GET', `/api/rooms/${room.id}`, { as: owner })).status, 404)
    t.same((await call(app, 'GET', '/api/me', { as: member })).body.user.rooms, [])
    const other = (await create(owner, { name: 'Admin deletes' })).body.room
    t.equal((await call(app, 'DELETE', `/api/rooms/${other.id}`, { as: admin })).status, 204)
  })
})

t.test(`message rate limit on ${backendName}`, async (t) => {
  const { sharedEnv } = await import('../helpers/app.ts')
  const app = await buildTestApp(t, sharedEnv(t, { RATE_MESSAGE_USER: '3' }))
  const admin = await loginAdmin(app)
  const room = (await call(app, 'POST', '/api/rooms', { as: admin, body: { name: 'Slow down' } })).body.room
  const statuses: number[] = []
  for (let i = 0; i < 4; i++) {
    statuses.push(
      (
        await call(app, 'POST', `/api/rooms/${room.id}/messages`, {
          as: admin,
          body: { text: 'spam', clientMsgId: `s${i}` },
        })
      ).status,
    )
  }
  t.same(statuses, [201, 201, 201, 429])
})
