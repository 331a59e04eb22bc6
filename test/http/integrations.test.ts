// Outgoing integrations over HTTP, on the run's backend, with a receiver on loopback that
// verifies every signature: who may manage them and the URL's rules (private addresses refused
// without INTEGRATIONS_ALLOW_PRIVATE, a redirect never followed); 1,000 events over 5 rooms
// arriving in seq order per room, each at least once, every signature valid; an event stored
// without its notice arriving in its place; the events filter; a receiver failing for a while
// (nothing skipped, order kept, lastError meanwhile); rooms created later under `"all"`; the
// cursor surviving a restart of the app on the same data.
import t from 'tap'
import type { App } from '../../src/app.ts'
import { newId } from '../../src/ids.ts'
import { Sender } from '../../src/integrations/sender.ts'
import { type Caller, call, loginAdmin, newUser, roomWith } from '../helpers/api.ts'
import { buildTestApp, sharedEnv } from '../helpers/app.ts'
import { Receiver } from '../helpers/receiver.ts'
import { until } from '../helpers/wait.ts'

const SECRET = 'integration-secret-0123456789'
/** Deliveries to the receiver on loopback, retried quickly. */
const DELIVERING = {
  INTEGRATIONS_ALLOW_PRIVATE: 'true',
  INTEGRATIONS_RETRY_MIN_MS: '20',
  INTEGRATIONS_RETRY_MAX_SECONDS: '1',
  INTEGRATIONS_LEASE_SECONDS: '2',
}

let n = 0
const send = async (app: App, room: string, as: Caller, text: string) => {
  const res = await call(app, 'POST', `/api/rooms/${room}/messages`, {
    as,
    body: { text, clientMsgId: `c${n++}` },
  })
  if (res.status !== 201) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.message.seq as number
}

const create = (app: App, admin: Caller, body: Record<string, unknown>) =>
  call(app, 'POST', '/api/admin/integrations', { as: admin, body })

const detail = async (app: App, admin: Caller, id: string) =>
  (await call(app, 'GET', `/api/admin/integrations/${id}`, { as: admin })).body

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

t.test(
  'managing integrations: admins only, the URL and body rules, the secret never shown, audited',
  async (t) => {
    const app = await buildTestApp(t, sharedEnv(t, { INTEGRATIONS_MAX: '2' }))
    const admin = await loginAdmin(app)
    const bob = await newUser(app)
    const room = await roomWith({ create: app }, admin, [], 'managed')
    const body = { url: 'https://93.184.216.34/hook', secret: SECRET, rooms: [room], events: ['message'] }

    t.equal((await create(app, bob, body)).status, 403, 'not an admin')
    t.equal((await call(app, 'GET', '/api/admin/integrations', { as: bob })).status, 403)
    t.equal((await call(app, 'POST', '/api/admin/integrations', { body })).status, 401)
    for (const url of [
      'http://127.0.0.1:9/hook',
      'http://localhost:9/hook',
      'http://[::1]/hook',
      'http://10.1.2.3/',
      'http://169.254.169.254/latest',
      'http://100.64.0.1/',
      'http://[fd00::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://0.0.0.0/',
      'http://224.0.0.1/',
    ]) {
      const res = await create(app, admin, { ...body, url })
      t.match(res, { status: 400, body: { code: 'VALIDATION', message: /public address/ } }, `${url} refused`)
    }
    for (const [field, value] of [
      ['url', 'ftp://93.184.216.34/x'],
      ['url', 'https://user:pass@93.184.216.34/x'],
      ['secret', 'short'],
      ['secret', 'x'.repeat(257)],
      ['rooms', []],
      ['rooms', ['f'.repeat(24)]],
      ['rooms', 'some'],
      ['events', ['message', 'typing']],
      ['events', []],
    ] as const) {
      const res = await create(app, admin, { ...body, [field]: value })
      t.match(res, { status: 400, body: { code: 'VALIDATION' } }, `${field} ${JSON.stringify(value)} refused`)
    }

    const made = await create(app, admin, body)
    t.equal(made.status, 201)
    const integration = made.body.integration
    t.match(integration, { url: 'https://93.184.216.34/hook', rooms: [room], events: ['message'] })
    t.notOk(JSON.stringify(made.body).includes(SECRET), 'the secret is not in the answer')
    const list = (await call(app, 'GET', '/api/admin/integrations', { as: admin })).body
    t.same(list.items, [integration])
    t.notOk(JSON.stringify(list).includes(SECRET))
    t.same(await detail(app, admin, integration.id), {
      integration,
      rooms: [{ room, deliveredSeq: 0, lastSeq: 0 }],
    })
    // The secret is kept sealed at rest.
    const stored = await app.core.internals.store.integrations.get(integration.id)
    t.match(stored?.secret, /^v1:/)
    t.notOk(stored?.secret.includes(SECRET))

    t.equal((await create(app, admin, { ...body, rooms: 'all' })).status, 201)
    t.match(
      await create(app, admin, body),
      { status: 409, body: { code: 'TOO_MANY_INTEGRATIONS' } },
      'the cap',
    )

    t.equal((await call(app, 'DELETE', `/api/admin/integrations/${integration.id}`, { as: bob })).status, 403)
    t.equal(
      (await call(app, 'DELETE', `/api/admin/integrations/${integration.id}`, { as: admin })).status,
      204,
    )
    t.equal((await call(app, 'GET', `/api/admin/integrations/${integration.id}`, { as: admin })).status, 404)
    t.equal(
      (await call(app, 'DELETE', `/api/admin/integrations/${integration.id}`, { as: admin })).status,
      404,
    )
    const audit = (await call(app, 'GET', '/api/admin/audit?limit=10', { as: admin })).body.items
    t.match(
      audit.filter((e: { action: string }) => e.action.startsWith('integration.')),
      [
        { action: 'integration.delete', details: { integration: integration.id } },
        { action: 'integration.create' },
        { action: 'integration.create', details: { integration: integration.id, rooms: [room] } },
      ],
    )
  },
)

t.test('a name resolving to a private address is refused at delivery, not only at creation', async (t) => {
  const receiver = new Receiver(SECRET)
  const url = (await receiver.start(t)).replace('127.0.0.1', 'localhost')
  const sender = new Sender({ timeoutMs: 2000, allowPrivate: false })
  t.teardown(() => sender.close())
  const r = await sender.send(url, '{}', SECRET, new AbortController().signal)
  t.match(r, { ok: false, error: /private address/ })
  const ip = await sender.send('http://127.0.0.1:9/', '{}', SECRET, new AbortController().signal)
  t.match(ip, { ok: false, error: /private address/ })
  t.equal(receiver.refused + receiver.rooms.size, 0, 'nothing reached the receiver')
  const allowed = new Sender({ timeoutMs: 2000, allowPrivate: true })
  t.teardown(() => allowed.close())
  t.match(await allowed.send(url, '{"room":"r","seq":1}', SECRET, new AbortController().signal), { ok: true })
})

t.test('delivery to a receiver on loopback', async (t) => {
  const shared = sharedEnv(t, DELIVERING)
  const app = await buildTestApp(t, shared)
  const admin = await loginAdmin(app)
  const ann = await newUser(app)

  t.test('1,000 events over 5 rooms: each room in seq order, each event at least once, signed', async (t) => {
    const receiver = new Receiver(SECRET)
    const url = await receiver.start(t)
    const rooms: string[] = []
    for (let i = 0; i < 5; i++) rooms.push(await roomWith({ create: app }, admin, [ann], `bulk${i}`))
    // Something before the integration: not delivered.
    await send(app, rooms[0]!, ann, 'before')
    const made = await create(app, admin, { url, secret: SECRET, rooms, events: ['message', 'update'] })
    t.equal(made.status, 201)
    const id = made.body.integration.id
    await Promise.all(
      rooms.map(async (room) => {
        for (let i = 0; i < 200; i++) await send(app, room, ann, `m${i}`)
      }),
    )
    await until(
      () => rooms.every((r) => receiver.distinct(r).size === 200),
      () => `every event (${rooms.map((r) => receiver.distinct(r).size)})`,
      30_000,
    )
    const first = rooms[0]!
    t.ok(receiver.inOrder(first, range(2, 201)), 'the first room: after the seq it had, in order')
    for (const r of rooms.slice(1)) t.ok(receiver.inOrder(r, range(1, 200)), 'in order, nothing skipped')
    t.equal(receiver.badSignatures, 0, 'every signature verifies')
    t.match(receiver.rooms.get(first)![0], {
      integration: id,
      room: first,
      seq: 2,
      type: 'message',
      message: { seq: 2, text: 'm0', room: first },
    })
    await until(async () => {
      const d = await detail(app, admin, id)
      return d.rooms.every((s: { deliveredSeq: number; lastSeq: number }) => s.deliveredSeq === s.lastSeq)
    }, 'every cursor at the last seq')
    t.notOk((await detail(app, admin, id)).rooms.some((s: { lastError?: string }) => s.lastError))
  })

  t.test('an event stored without its notice (lost with the bus) arrives in its place', async (t) => {
    const receiver = new Receiver(SECRET)
    const url = await receiver.start(t)
    const room = await roomWith({ create: app }, admin, [ann], 'unannounced')
    const id = (await create(app, admin, { url, secret: SECRET, rooms: [room], events: ['message'] })).body
      .integration.id
    await send(app, room, ann, 'announced 1')
    await until(() => receiver.seqs(room).length === 1, 'the first event')
    // Straight into the store: no notice on the bus.
    await app.core.internals.store.messages.append({
      id: newId(),
      roomId: room,
      kind: 'text',
      from: { id: ann.userId, username: ann.username, displayName: ann.username },
      text: 'unannounced',
      file: null,
      clientMsgId: null,
      createdAt: new Date(),
    })
    await send(app, room, ann, 'announced 3')
    await until(
      () => receiver.seqs(room).length === 3,
      () => `three events (${receiver.seqs(room)})`,
    )
    t.same(receiver.seqs(room), [1, 2, 3], 'in seq order, nothing skipped')
    t.match(receiver.rooms.get(room), [
      { message: { text: 'announced 1' } },
      { message: { text: 'unannounced' } },
      { message: { text: 'announced 3' } },
    ])
    await until(
      async () => (await detail(app, admin, id)).rooms[0].deliveredSeq === 3,
      'the cursor written within a second or so',
    )
    await call(app, 'DELETE', `/api/admin/integrations/${id}`, { as: admin })
  })

  t.test('the events filter: what is not subscribed moves the cursor without a POST', async (t) => {
    const receiver = new Receiver(SECRET)
    const url = await receiver.start(t)
    const room = await roomWith({ create: app }, admin, [ann], 'filtered')
    const id = (await create(app, admin, { url, secret: SECRET, rooms: [room], events: ['pin', 'update'] }))
      .body.integration.id
    const seq = await send(app, room, ann, 'pin me')
    t.equal(
      (await call(app, 'PATCH', `/api/rooms/${room}/messages/${seq}`, { as: ann, body: { text: 'edited' } }))
        .status,
      200,
    )
    t.equal((await call(app, 'PUT', `/api/rooms/${room}/pins/${seq}`, { as: admin })).status, 204)
    await send(app, room, ann, 'not sent')
    await until(() => receiver.seqs(room).length === 2, 'the update and the pin')
    t.match(receiver.rooms.get(room), [
      { seq: seq + 1, type: 'update', change: { kind: 'edit' }, message: { seq, text: 'edited' } },
      { seq: seq + 2, type: 'pin', pinned: true, message: { seq } },
    ])
    await until(
      async () => (await detail(app, admin, id)).rooms[0].deliveredSeq === seq + 3,
      'the cursor past the last message',
    )
    t.equal(receiver.seqs(room).length, 2, 'the messages were not sent')
  })

  t.test(
    'a receiver failing for a while, then answering: nothing skipped, order kept, lastError meanwhile',
    async (t) => {
      const receiver = new Receiver(SECRET)
      const url = await receiver.start(t)
      const [room, other] = [
        await roomWith({ create: app }, admin, [ann], 'flaky'),
        await roomWith({ create: app }, admin, [ann], 'steady'),
      ]
      const id = (await create(app, admin, { url, secret: SECRET, rooms: [room], events: ['message'] })).body
        .integration.id
      const second = (await create(app, admin, { url, secret: SECRET, rooms: [other], events: ['message'] }))
        .body.integration.id
      await send(app, room, ann, 'delivered')
      await until(() => receiver.seqs(room).length === 1, 'the first event')
      receiver.answer = 500
      for (let i = 0; i < 20; i++) await send(app, room, ann, `held ${i}`)
      await until(
        async () => (await detail(app, admin, id)).rooms[0].lastError === 'HTTP 500',
        'lastError reported',
      )
      const meanwhile = (await detail(app, admin, id)).rooms[0]
      t.match(meanwhile, { deliveredSeq: 1, lastSeq: 21, lastError: 'HTTP 500', lastAttemptAt: String })
      await until(() => receiver.refused >= 3, 'retried')
      // A redirect is a failure too, never followed.
      receiver.answer = 302
      await until(
        async () => /302/.test((await detail(app, admin, id)).rooms[0].lastError ?? ''),
        'the redirect as the error',
      )
      receiver.answer = 200
      await until(
        () => receiver.distinct(room).size === 21,
        () => `every event (${receiver.seqs(room)})`,
      )
      t.ok(receiver.inOrder(room, range(1, 21)), 'in order, nothing skipped')
      await until(async () => {
        const d = (await detail(app, admin, id)).rooms[0]
        return d.deliveredSeq === 21 && d.lastError === undefined
      }, 'the cursor at the end, the error cleared')
      t.notOk(receiver.rooms.has('/elsewhere'))
      await call(app, 'DELETE', `/api/admin/integrations/${second}`, { as: admin })
    },
  )

  t.test('rooms: "all" includes rooms created later, from their first event; not direct rooms', async (t) => {
    const receiver = new Receiver(SECRET)
    const url = await receiver.start(t)
    const old = await roomWith({ create: app }, admin, [ann], 'older')
    await send(app, old, ann, 'before the integration')
    const id = (await create(app, admin, { url, secret: SECRET, rooms: 'all', events: ['message'] })).body
      .integration.id
    const later = await roomWith({ create: app }, admin, [ann], 'later')
    await send(app, later, ann, 'first')
    await send(app, old, ann, 'after')
    const dm = (await call(app, 'POST', '/api/dms', { as: ann, body: { userId: admin.userId } })).body.room.id
    await send(app, dm, ann, 'private')
    await until(
      () => receiver.seqs(later).length === 1 && receiver.seqs(old).length === 1,
      'both rooms',
      15_000,
    )
    t.same(receiver.seqs(later), [1])
    t.same(receiver.seqs(old), [2])
    const roomsOf = (await detail(app, admin, id)).rooms.map((r: { room: string }) => r.room)
    t.ok(roomsOf.includes(later))
    t.notOk(roomsOf.includes(dm), 'a direct room is never sent')
    t.notOk(receiver.rooms.has(dm))
    await call(app, 'DELETE', `/api/admin/integrations/${id}`, { as: admin })
  })
})

t.test('the cursor survives a restart of the app on the same data', async (t) => {
  const shared = sharedEnv(t, DELIVERING)
  const receiver = new Receiver(SECRET)
  const url = await receiver.start(t)
  const first = await buildTestApp(t, shared)
  let admin = await loginAdmin(first)
  const ann = await newUser(first)
  const room = await roomWith({ create: first }, admin, [ann], 'restarted')
  const id = (await create(first, admin, { url, secret: SECRET, rooms: [room], events: ['message'] })).body
    .integration.id
  for (let i = 0; i < 10; i++) await send(first, room, ann, `one ${i}`)
  await until(() => receiver.distinct(room).size === 10, 'the first ten')
  await until(async () => (await detail(first, admin, id)).rooms[0].deliveredSeq === 10, 'the cursor saved')
  await first.close()

  const second = await buildTestApp(t, shared)
  admin = await loginAdmin(second)
  t.match((await detail(second, admin, id)).rooms[0], { deliveredSeq: 10, lastSeq: 10 })
  for (let i = 0; i < 5; i++) await send(second, room, ann, `two ${i}`)
  await until(() => receiver.distinct(room).size === 15, 'the next five')
  t.same(receiver.seqs(room), range(1, 15), 'from the cursor: nothing again, nothing skipped')
  t.equal(receiver.badSignatures, 0, 'the secret read back after the restart')
})
