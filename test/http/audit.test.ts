// The audit log over HTTP on the run's backend: each action of an admin or a room's creator on
// someone else writes one entry with its actor, target and details (codes minted and revoked,
// roles, account bans and their lifting, kicks, mutes, room bans and their lifting, deletions of
// others' messages, pins and unpins); a deletion of one's own message writes none; the log is for admins only,
// filtered and paged newest first, and no route changes or removes an entry.
import t from 'tap'
import { type Caller, call, loginAdmin, newUser } from '../helpers/api.ts'
import { backendName, buildTestApp } from '../helpers/app.ts'

t.test(`the audit log on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const admin = await loginAdmin(app)
  const audit = async (query = '', as: Caller = admin) => {
    const res = await call(app, 'GET', `/api/admin/audit${query}`, { as })
    t.equal(res.status, 200, res.body?.message)
    return res.body as { items: any[]; nextCursor: string | null }
  }
  const me = { id: admin.userId, username: admin.username }
  const [owner, ann, bob, carl] = [
    await newUser(app),
    await newUser(app),
    await newUser(app),
    await newUser(app),
  ]
  const ref = (u: Caller) => ({ id: u.userId, username: u.username })

  t.test('codes minted and revoked', async (t) => {
    const minted = await call(app, 'POST', '/api/admin/invite-codes', { as: admin, body: { count: 2 } })
    t.equal(minted.status, 201)
    const ids = minted.body.codes.map((c: any) => c.id)
    const [mint] = (await audit('?action=code.mint&limit=1')).items
    t.match(mint, {
      actor: me,
      action: 'code.mint',
      target: null,
      details: { type: 'invite', count: 2, codes: ids },
    })
    t.ok(Date.parse(mint.at) <= Date.now())
    t.equal((await call(app, 'DELETE', `/api/admin/codes/${ids[0]}`, { as: admin })).status, 204)
    t.match((await audit('?action=code.revoke')).items, [
      { actor: me, action: 'code.revoke', details: { code: ids[0], type: 'invite' } },
    ])
  })

  t.test('roles and account bans, one entry per change', async (t) => {
    const patch = (body: object) => call(app, 'PATCH', `/api/admin/users/${carl.userId}`, { as: admin, body })
    t.equal((await patch({ role: 'admin' })).status, 200)
    t.equal((await patch({ role: 'user', banned: true })).status, 200)
    t.equal((await patch({ banned: true })).status, 200, 'no change: no entry')
    t.equal((await patch({ banned: false })).status, 200)
    const items = (await audit(`?target=${carl.userId}`)).items
    t.match(
      items.map((e) => [e.action, e.details]),
      [
        ['user.unban', {}],
        ['user.ban', {}],
        ['user.role', { from: 'admin', to: 'user' }],
        ['user.role', { from: 'user', to: 'admin' }],
      ],
      'newest first',
    )
    t.equal(items.length, 4)
    for (const e of items) t.match(e, { actor: me, target: ref(carl) })
  })

  t.test("a room's creator: kicks, mutes, bans, lifts, deletions of others' messages", async (t) => {
    const [code] = (
      await call(app, 'POST', '/api/admin/activation-codes', { as: admin, body: { count: 1, vipDays: 30 } })
    ).body.codes.map((c: any) => c.code)
    t.equal((await call(app, 'POST', '/api/me/vip', { as: owner, body: { code } })).status, 200)
    const room = (await call(app, 'POST', '/api/rooms', { as: owner, body: { name: 'Audited' } })).body.room
    const roomRef = { id: room.id, name: 'Audited' }
    for (const u of [ann, bob])
      t.equal((await call(app, 'POST', `/api/rooms/${room.id}/join`, { as: u })).status, 200)
    const say = async (as: Caller, text: string) =>
      (
        await call(app, 'POST', `/api/rooms/${room.id}/messages`, {
          as,
          body: { text, clientMsgId: `m${Math.random()}` },
        })
      ).body.message.seq as number
    const annSeq = await say(ann, 'spam')
    const ownSeq = await say(owner, 'mine')
    const member = (who: Caller, what: string) => `/api/rooms/${room.id}/members/${who.userId}/${what}`
    t.equal(
      (await call(app, 'DELETE', `/api/rooms/${room.id}/messages/${ownSeq}`, { as: owner })).status,
      204,
    )
    t.equal(
      (await call(app, 'DELETE', `/api/rooms/${room.id}/messages/${annSeq}`, { as: owner })).status,
      204,
    )
    t.equal(
      (await call(app, 'DELETE', `/api/rooms/${room.id}/messages/${annSeq}`, { as: owner })).status,
      204,
    )
    t.equal((await call(app, 'POST', member(ann, 'mute'), { as: owner, body: { minutes: 5 } })).status, 204)
    t.equal((await call(app, 'POST', member(ann, 'kick'), { as: owner, body: { minutes: 30 } })).status, 204)
    t.equal((await call(app, 'POST', member(bob, 'ban'), { as: owner })).status, 204)
    t.equal((await call(app, 'DELETE', member(bob, 'ban'), { as: owner })).status, 204)
    t.equal((await call(app, 'DELETE', member(bob, 'ban'), { as: owner })).status, 204, 'nothing to lift')
    t.equal((await call(app, 'POST', member(admin, 'ban'), { as: owner })).status, 403, 'refused: no entry')

    const items = (await audit(`?actor=${owner.userId}`)).items
    const by = { id: owner.userId, username: owner.username }
    t.match(items, [
      { actor: by, action: 'room.unban', target: ref(bob), details: { room: roomRef } },
      { actor: by, action: 'room.ban', target: ref(bob), details: { room: roomRef } },
      { actor: by, action: 'room.kick', target: ref(ann), details: { room: roomRef, minutes: 30 } },
      { actor: by, action: 'room.mute', target: ref(ann), details: { room: roomRef, minutes: 5 } },
      { actor: by, action: 'message.delete', target: ref(ann), details: { room: roomRef, seq: annSeq } },
    ])
    t.equal(items.length, 5, "one deletion logged: the other's message, once; not the own one")
    t.match((await audit(`?actor=${owner.userId}&action=room.kick`)).items, [{ target: ref(ann) }])
    t.equal((await audit(`?actor=${owner.userId}&target=${bob.userId}`)).items.length, 2)
    // A kick of the default length says so.
    t.equal((await call(app, 'POST', member(bob, 'kick'), { as: admin })).status, 204)
    t.match((await audit(`?action=room.kick&limit=1`)).items, [{ actor: me, details: { minutes: 10 } }])
  })

  t.test('pins and unpins, one entry each time the pin changed', async (t) => {
    const dora = await newUser(app)
    const room = (await call(app, 'POST', '/api/rooms', { as: owner, body: { name: 'Pinned' } })).body.room
    const roomRef = { id: room.id, name: 'Pinned' }
    t.equal((await call(app, 'POST', `/api/rooms/${room.id}/join`, { as: dora })).status, 200)
    const sent = await call(app, 'POST', `/api/rooms/${room.id}/messages`, {
      as: dora,
      body: { text: 'worth keeping', clientMsgId: 'pin-me' },
    })
    const seq = sent.body.message.seq as number
    const pins = `/api/rooms/${room.id}/pins/${seq}`
    t.equal((await call(app, 'PUT', pins, { as: dora })).status, 403, 'refused: no entry')
    t.equal((await call(app, 'PUT', pins, { as: owner })).status, 204)
    t.equal((await call(app, 'PUT', pins, { as: owner })).status, 204, 'already pinned')
    t.equal((await call(app, 'DELETE', pins, { as: admin })).status, 204)
    t.equal((await call(app, 'DELETE', pins, { as: admin })).status, 204, 'nothing to unpin')
    const items = (await audit(`?target=${dora.userId}`)).items
    t.match(items, [
      { actor: me, action: 'message.unpin', target: ref(dora), details: { room: roomRef, seq } },
      { actor: ref(owner), action: 'message.pin', target: ref(dora), details: { room: roomRef, seq } },
    ])
    t.equal(items.length, 2)
  })

  t.test('pages newest first, nothing repeated or skipped', async (t) => {
    const all = (await audit('?limit=200')).items
    t.ok(all.length >= 12)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: { items: any[]; nextCursor: string | null } = await audit(
        `?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      )
      t.ok(page.items.length <= 3)
      seen.push(...page.items.map((e) => e.id))
      cursor = page.nextCursor
    } while (cursor)
    t.same(
      seen,
      all.map((e: any) => e.id),
    )
    const times = all.map((e: any) => Date.parse(e.at))
    t.same(
      times,
      [...times].sort((a, b) => b - a),
      'newest first',
    )
  })

  t.test('admins only, bad queries refused, and nothing changes or removes an entry', async (t) => {
    const [entry] = (await audit('?limit=1')).items
    for (const as of [ann, owner]) {
      const res = await call(app, 'GET', '/api/admin/audit', { as })
      t.equal(res.status, 403)
      t.equal(res.body.code, 'FORBIDDEN')
    }
    t.equal((await call(app, 'GET', '/api/admin/audit')).status, 401)
    for (const q of ['?limit=0', '?limit=201', '?action=room.nuke', '?actor=nope', '?cursor=bogus'])
      t.equal((await call(app, 'GET', `/api/admin/audit${q}`, { as: admin })).status, 400, q)
    const forged = Buffer.from(JSON.stringify([Date.now(), 'not-an-id'])).toString('base64url')
    t.equal((await call(app, 'GET', `/api/admin/audit?cursor=${forged}`, { as: admin })).status, 400)
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const)
      for (const url of ['/api/admin/audit', `/api/admin/audit/${entry.id}`])
        t.equal((await call(app, method, url, { as: admin, body: {} })).status, 404, `${method} ${url}`)
    t.same((await audit('?limit=1')).items[0], entry, 'unchanged')
  })
})
