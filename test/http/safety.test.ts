// Keeping a community safe, over HTTP and the socket on the run's backend: blocks (idempotent,
// listed on `GET /api/me`, not oneself, not an unknown user) close a direct room both ways (no
// opening it, no send over HTTP or the socket, no edit) while shared rooms stay open, and
// unblocking opens it again; a blocked user's mentions and replies push nothing to the blocker
// (a push service on loopback); reports (the reporter must read the message, one open report per
// message also when two race, the message kept as reported through edits and deletions, a rate
// limit per hour); the reports' list (admins all, a room's creator theirs, others 403, by
// status, keyset pages); decisions (the action carried out as by hand and audited with it, the
// same permission rules, a refused action leaving the report open, two deciders racing: one wins).
import t from 'tap'
import webpush from 'web-push'
import { type Caller, call, loginAdmin, newUser, roomWith } from '../helpers/api.ts'
import { backendName, buildTestApp, sharedEnv } from '../helpers/app.ts'
import { PushService } from '../helpers/push-service.ts'
import { until } from '../helpers/wait.ts'
import { connect, joinRoom, listen } from '../helpers/ws.ts'

t.test(`safety on ${backendName}`, async (t) => {
  const service = new PushService()
  await service.start()
  t.teardown(() => service.stop())
  const vapid = webpush.generateVAPIDKeys()
  const app = await buildTestApp(
    t,
    sharedEnv(t, {
      PUSH_ALLOW_HTTP: 'true',
      NOTIFY_DELAY_SECONDS: '1',
      VAPID_PUBLIC_KEY: vapid.publicKey,
      VAPID_PRIVATE_KEY: vapid.privateKey,
      RATE_REPORTS: '1000',
    }),
  )
  service.setVapidKey(vapid.publicKey)
  const admin = await loginAdmin(app)
  let n = 0
  const say = (as: Caller, room: string, text: string, extra: object = {}) =>
    call(app, 'POST', `/api/rooms/${room}/messages`, { as, body: { text, clientMsgId: `c${n++}`, ...extra } })
  const said = async (as: Caller, room: string, text: string, extra: object = {}) => {
    const res = await say(as, room, text, extra)
    t.equal(res.status, 201, JSON.stringify(res.body))
    return res.body.message.seq as number
  }
  const block = (as: Caller, who: Caller | string, method: 'PUT' | 'DELETE' = 'PUT') =>
    call(app, method, `/api/me/blocks/${typeof who === 'string' ? who : who.userId}`, { as })
  const dm = (as: Caller, peer: Caller) =>
    call(app, 'POST', '/api/dms', { as, body: { userId: peer.userId } })
  const vip = async (who: Caller) => {
    const [code] = (
      await call(app, 'POST', '/api/admin/activation-codes', { as: admin, body: { count: 1, vipDays: 30 } })
    ).body.codes.map((c: any) => c.code)
    t.equal((await call(app, 'POST', '/api/me/vip', { as: who, body: { code } })).status, 200)
  }

  t.test('blocks: idempotent, listed on me, not oneself, not an unknown user, lifted', async (t) => {
    const [ann, bob, cat] = [await newUser(app), await newUser(app), await newUser(app)]
    t.equal((await block(ann, bob)).status, 204)
    t.equal((await block(ann, bob)).status, 204, 'idempotent')
    t.equal((await block(ann, cat)).status, 204)
    t.same((await call(app, 'GET', '/api/me', { as: ann })).body.user.blocked, [cat.userId, bob.userId])
    t.same((await call(app, 'GET', '/api/me', { as: bob })).body.user.blocked, [], 'one way')
    t.match(await block(ann, ann), { status: 400, body: { code: 'VALIDATION' } }, 'not oneself')
    t.match(await block(ann, 'aaaaaaaaaaaaaaaaaaaaaaaa'), { status: 404, body: { code: 'NOT_FOUND' } })
    t.match(await block(ann, 'nope'), { status: 400, body: { code: 'VALIDATION' } })
    t.equal((await call(app, 'PUT', `/api/me/blocks/${bob.userId}`)).status, 401)
    t.equal((await block(ann, bob, 'DELETE')).status, 204)
    t.equal((await block(ann, bob, 'DELETE')).status, 204, 'idempotent')
    t.same((await call(app, 'GET', '/api/me', { as: ann })).body.user.blocked, [cat.userId])
  })

  t.test(
    'a block closes a direct room both ways, over HTTP and the socket; shared rooms stay open',
    async (t) => {
      const [ann, bob] = [await newUser(app), await newUser(app)]
      const room = (await dm(bob, ann)).body.room.id
      const first = await said(bob, room, 'hi ann')
      const shared = await roomWith({ create: app }, admin, [ann, bob], 'Shared')
      t.equal((await block(ann, bob)).status, 204)
      for (const [who, peer] of [
        [bob, ann],
        [ann, bob],
      ] as const) {
        t.match(
          await dm(who, peer),
          { status: 403, body: { code: 'BLOCKED' } },
          `${who.username} cannot open it`,
        )
        t.match(
          await say(who, room, 'hello?'),
          { status: 403, body: { code: 'BLOCKED' } },
          `${who.username} cannot write`,
        )
      }
      t.match(
        await call(app, 'PATCH', `/api/rooms/${room}/messages/${first}`, {
          as: bob,
          body: { text: 'edited' },
        }),
        { status: 403, body: { code: 'BLOCKED' } },
        'nor edit',
      )
      const url = await listen(app)
      const socket = await connect(url, { token: bob.token })
      t.teardown(() => socket.close())
      await joinRoom(socket, room)
      socket.send({ type: 'send', room, clientMsgId: 'ws1', text: 'over the socket' })
      t.match(await socket.next((f) => f.type === 'error'), { code: 'BLOCKED', ref: 'ws1' })
      t.equal((await say(bob, shared, 'still here')).status, 201, 'a shared room is not closed')
      t.equal((await block(ann, bob, 'DELETE')).status, 204)
      t.equal((await say(bob, room, 'back')).status, 201, 'unblocked: open again')
      t.equal((await dm(ann, bob)).status, 200)
    },
  )

  t.test("a blocked user's mentions and replies notify the blocker of nothing", async (t) => {
    const [dan, eve, fay] = [await newUser(app), await newUser(app), await newUser(app)]
    const browser = service.subscription()
    t.equal((await call(app, 'POST', '/api/push/subscriptions', { as: dan, body: browser })).status, 201)
    const room = await roomWith({ create: app }, admin, [dan, eve, fay], 'Pushy')
    const mine = await said(dan, room, 'my message')
    t.equal((await block(dan, eve)).status, 204)
    const blocked = [
      await said(eve, room, `hey @${dan.username}`),
      await said(eve, room, 'a reply', { replyTo: mine }),
    ]
    const later = await said(fay, room, `hi @${dan.username}`)
    await until(
      () => service.of(browser.id).some((r) => r.payload.seq === later),
      () => `the push of fay's mention: ${JSON.stringify(service.of(browser.id))}`,
      15_000,
    )
    t.same(
      service.of(browser.id).filter((r) => blocked.includes(r.payload.seq)),
      [],
      "nothing of eve's, sent before fay's that arrived",
    )
  })

  // Reports and their decisions.
  const [owner, ann, bob, outsider] = [
    await newUser(app),
    await newUser(app),
    await newUser(app),
    await newUser(app),
  ]
  await vip(owner)
  const room = await roomWith({ create: app }, owner, [ann, bob], 'Reported')
  const otherRoom = await roomWith({ create: app }, admin, [ann, bob], 'Elsewhere')
  const report = (as: Caller, body: object) => call(app, 'POST', '/api/reports', { as, body })
  const decide = (as: Caller, id: string, body: object) =>
    call(app, 'PATCH', `/api/admin/reports/${id}`, { as, body })
  const list = (as: Caller, query = '') => call(app, 'GET', `/api/admin/reports${query}`, { as })

  t.test(
    'a report: the reporter must read the message; one open per message; kept as reported',
    async (t) => {
      const seq = await said(bob, room, 'buy cheap watches')
      const made = await report(ann, { room, seq, reason: 'spam', note: 'again' })
      t.equal(made.status, 201, JSON.stringify(made.body))
      t.match(made.body.report, {
        status: 'open',
        reason: 'spam',
        note: 'again',
        reporter: { id: ann.userId, username: ann.username },
        room: { id: room, name: 'Reported' },
        message: { seq, kind: 'text', text: 'buy cheap watches', from: { id: bob.userId }, file: null },
        decidedBy: null,
        decision: null,
      })
      t.match(await report(ann, { room, seq, reason: 'abuse' }), {
        status: 409,
        body: { code: 'ALREADY_REPORTED' },
      })
      t.match(
        await report(outsider, { room, seq, reason: 'spam' }),
        { status: 404 },
        'not a member: as unknown',
      )
      const privateRoom = (await dm(ann, bob)).body.room.id
      const secret = await said(bob, privateRoom, 'between us')
      t.match(await report(outsider, { room: privateRoom, seq: secret, reason: 'spam' }), { status: 404 })
      t.match(await report(ann, { room, seq: 9999, reason: 'spam' }), { status: 404 })
      t.match(await report(bob, { room, seq, reason: 'spam' }), { status: 400 }, 'not one’s own')
      t.match(await report(ann, { room, seq, reason: 'bored' }), {
        status: 400,
        body: { code: 'VALIDATION' },
      })
      t.equal((await call(app, 'POST', '/api/reports', { body: { room, seq, reason: 'spam' } })).status, 401)

      const raced = await said(bob, room, 'race me')
      const both = await Promise.all([
        report(owner, { room, seq: raced, reason: 'spam' }),
        report(owner, { room, seq: raced, reason: 'abuse' }),
      ])
      t.same(both.map((r) => r.status).sort(), [201, 409], 'two at once: one stored')

      t.equal(
        (
          await call(app, 'PATCH', `/api/rooms/${room}/messages/${seq}`, {
            as: bob,
            body: { text: 'nothing here' },
          })
        ).status,
        200,
      )
      const [kept] = (await list(admin, '?limit=200')).body.items.filter(
        (r: any) => r.id === made.body.report.id,
      )
      t.equal(kept.message.text, 'buy cheap watches', 'an edit leaves the evidence alone')
      t.equal((await call(app, 'DELETE', `/api/rooms/${room}/messages/${seq}`, { as: bob })).status, 204)
      const [still] = (await list(admin, '?limit=200')).body.items.filter(
        (r: any) => r.id === made.body.report.id,
      )
      t.equal(still.message.text, 'buy cheap watches', 'so does a deletion')
      t.match(await report(owner, { room, seq, reason: 'spam' }), { status: 409, body: { code: 'DELETED' } })
    },
  )

  t.test('reports are rate limited per user per hour', async (t) => {
    const limited = await buildTestApp(t, sharedEnv(t, { RATE_REPORTS: '2' }))
    const limitedAdmin = await loginAdmin(limited)
    const [x, y] = [await newUser(limited), await newUser(limited)]
    const r = await roomWith({ create: limited }, limitedAdmin, [x, y], 'Limited')
    const seqs: number[] = []
    for (let i = 0; i < 3; i++)
      seqs.push(
        (
          await call(limited, 'POST', `/api/rooms/${r}/messages`, {
            as: y,
            body: { text: `m${i}`, clientMsgId: `l${i}` },
          })
        ).body.message.seq,
      )
    for (const seq of seqs.slice(0, 2))
      t.equal(
        (await call(limited, 'POST', '/api/reports', { as: x, body: { room: r, seq, reason: 'spam' } }))
          .status,
        201,
      )
    const refused = await call(limited, 'POST', '/api/reports', {
      as: x,
      body: { room: r, seq: seqs[2], reason: 'spam' },
    })
    t.match(refused, { status: 429, body: { code: 'RATE_LIMITED' } })
    t.ok(Number(refused.headers['retry-after']) > 0, 'with Retry-After')
  })

  t.test(
    'the list: admins all, a room’s creator theirs only, others 403; by status; keyset pages',
    async (t) => {
      const elsewhere = await said(bob, otherRoom, 'elsewhere spam')
      const foreign = (await report(ann, { room: otherRoom, seq: elsewhere, reason: 'spam' })).body.report.id
      const ownerView = (await list(owner, '?limit=200')).body.items
      t.ok(ownerView.length >= 2)
      t.ok(
        ownerView.every((r: any) => r.room.id === room),
        "the creator's rooms only",
      )
      const all = (await list(admin, '?limit=200')).body.items.map((r: any) => r.id)
      t.ok(all.includes(foreign), 'an admin sees every report')
      t.same(all, [...all].sort().reverse(), 'newest first')
      for (const who of [ann, outsider])
        t.match(await list(who), { status: 403, body: { code: 'FORBIDDEN' } })
      t.equal((await call(app, 'GET', '/api/admin/reports')).status, 401)
      t.equal((await list(admin, '?status=nope')).status, 400)
      t.equal((await list(admin, '?cursor=bogus')).status, 400)
      const seen: string[] = []
      let cursor: string | null = null
      do {
        const page: any = (await list(admin, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).body
        t.ok(page.items.length <= 2)
        seen.push(...page.items.map((r: any) => r.id))
        cursor = page.nextCursor
      } while (cursor)
      t.same(seen, all, 'pages: nothing repeated or skipped')
      t.ok((await list(admin, '?status=open&limit=200')).body.items.every((r: any) => r.status === 'open'))
    },
  )

  t.test(
    'decisions: the action as by hand, audited with it; the rules hold; one of two racing wins',
    async (t) => {
      const audit = async (action: string) =>
        (await call(app, 'GET', `/api/admin/audit?action=${action}&limit=1`, { as: admin })).body.items[0]
      const fresh = async (text: string, by: Caller = bob) => {
        const seq = await said(by, room, text)
        const res = await report(ann, { room, seq, reason: 'abuse' })
        t.equal(res.status, 201, JSON.stringify(res.body))
        return { seq, id: res.body.report.id as string }
      }

      const del = await fresh('delete me')
      const racing = await Promise.all([
        decide(owner, del.id, { status: 'resolved', action: 'delete' }),
        decide(admin, del.id, { status: 'dismissed' }),
      ])
      t.same(racing.map((r) => r.status).sort(), [200, 409], 'two deciders at once: one wins')
      t.equal(racing.find((r) => r.status === 409)!.body.code, 'ALREADY_DECIDED')
      const won = racing.find((r) => r.status === 200)!.body.report
      t.match(won, { status: /resolved|dismissed/, decidedBy: { id: /./ }, decision: { at: /./ } })
      t.match(await decide(admin, del.id, { status: 'dismissed' }), {
        status: 409,
        body: { code: 'ALREADY_DECIDED' },
      })

      const gone = await fresh('gone soon')
      const resolved = await decide(owner, gone.id, { status: 'resolved', action: 'delete' })
      t.match(resolved, {
        status: 200,
        body: {
          report: {
            status: 'resolved',
            decidedBy: { id: owner.userId, username: owner.username },
            decision: { status: 'resolved', action: 'delete' },
            message: { text: 'gone soon' },
          },
        },
      })
      const history = (await call(app, 'GET', `/api/rooms/${room}/messages?limit=200`, { as: ann })).body
        .items
      t.match(
        history.find((m: any) => m.seq === gone.seq),
        { deleted: true, text: '' },
        'the message is deleted',
      )
      t.match(await audit('message.delete'), {
        actor: { id: owner.userId },
        target: { id: bob.userId },
        details: { seq: gone.seq },
      })
      t.match(await audit('report.decide'), {
        actor: { id: owner.userId },
        target: { id: bob.userId },
        details: { report: gone.id, status: 'resolved', action: 'delete', seq: gone.seq },
      })

      const muted = await fresh('mute me')
      t.equal((await decide(owner, muted.id, { status: 'resolved', action: 'mute', minutes: 5 })).status, 200)
      t.match(await say(bob, room, 'can I?'), { status: 403, body: { code: 'MUTED' } }, 'muted as by hand')
      t.match(await audit('room.mute'), {
        actor: { id: owner.userId },
        target: { id: bob.userId },
        details: { minutes: 5 },
      })
      t.equal(
        (
          await call(app, 'POST', `/api/rooms/${room}/members/${bob.userId}/mute`, {
            as: owner,
            body: { minutes: 0 },
          })
        ).status,
        204,
      )

      t.equal((await call(app, 'POST', `/api/rooms/${room}/join`, { as: admin })).status, 200)
      const byAdmin = await fresh('an admin wrote this', admin)
      t.match(
        await decide(owner, byAdmin.id, { status: 'resolved', action: 'mute' }),
        { status: 403, body: { code: 'FORBIDDEN' } },
        "a room's creator does not moderate an admin, by report neither",
      )
      t.match(
        (await list(admin, '?limit=200')).body.items.find((r: any) => r.id === byAdmin.id),
        {
          status: 'open',
          decidedBy: null,
        },
        'a refused action leaves the report open',
      )
      t.equal((await decide(admin, byAdmin.id, { status: 'dismissed' })).status, 200, 'and decidable')

      const kicked = await fresh('kick me')
      const edit = call(app, 'PATCH', `/api/rooms/${room}/messages/${kicked.seq}`, {
        as: bob,
        body: { text: 'harmless' },
      })
      const [kick] = await Promise.all([
        decide(owner, kicked.id, { status: 'resolved', action: 'kick' }),
        edit,
      ])
      t.equal(kick.status, 200)
      t.equal(kick.body.report.message.text, 'kick me', 'decided while edited: the reported text')
      t.match(await say(bob, room, 'still in?'), { status: 403, body: { code: 'NOT_MEMBER' } })
      t.match(await call(app, 'POST', `/api/rooms/${room}/join`, { as: bob }), {
        status: 403,
        body: { code: 'BANNED_FROM_ROOM' },
      })
      t.match(await audit('room.kick'), {
        actor: { id: owner.userId },
        target: { id: bob.userId },
        details: { minutes: 10 },
      })

      const banSeq = await said(ann, room, 'ban me')
      const banned = (await report(owner, { room, seq: banSeq, reason: 'abuse' })).body.report.id
      t.equal((await decide(admin, banned, { status: 'resolved', action: 'ban' })).status, 200)
      t.match(await audit('room.ban'), { actor: { id: admin.userId }, target: { id: ann.userId } })

      const elsewhere = await said(bob, otherRoom, 'not the owner’s room')
      const foreign = (await report(ann, { room: otherRoom, seq: elsewhere, reason: 'spam' })).body.report.id
      t.match(await decide(owner, foreign, { status: 'dismissed' }), { status: 404 }, "another room's report")
      t.match(await decide(outsider, foreign, { status: 'dismissed' }), {
        status: 403,
        body: { code: 'FORBIDDEN' },
      })
      t.match(await decide(admin, foreign, { status: 'dismissed', action: 'ban' }), { status: 400 })
      t.match(await decide(admin, 'aaaaaaaaaaaaaaaaaaaaaaaa', { status: 'dismissed' }), { status: 404 })
      t.match(await decide(admin, foreign, { status: 'open' }), { status: 400 })
    },
  )
})
