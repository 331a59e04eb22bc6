// Search, jump to a message and pins through the client package: ChatHttp's search(), history
// with `around` and its cursors, pins(), pin(), unpin(); ChatSocket's `pin` event in the room's
// seq order with messages (no gap where a pin took a seq), replayed by a join with `since`.
import { ApiError, type PinFrame } from '@roomchat/client'
import t from 'tap'
import { admin, backendName, room, socket, startServer, until, user, within } from './fixtures/setup.ts'

t.test(`search and pins through the client on ${backendName}`, async (t) => {
  const server = await startServer(t)
  const root = await admin(server)
  const alice = await user(server)
  const bob = await user(server)
  const roomId = await room(server, [alice, bob])

  t.test('search(): a Chinese message by two of its characters, with highlights', async (t) => {
    await alice.http.sendMessage(roomId, '明天下午三点开会 in room B')
    await alice.http.sendMessage(roomId, 'Déjà vu at the café')
    const page = await bob.http.search({ q: '开会' })
    t.match(page.items, [
      { room: { id: roomId, kind: 'room' }, message: { text: '明天下午三点开会 in room B' } },
    ])
    const [hit] = page.items
    const marked = hit!.highlights.map(([a, b]) => [...hit!.message.text].slice(a!, b!).join(''))
    t.same(marked, ['开会'])
    t.same(
      (await bob.http.search({ q: 'deja CAFE' })).items.map((h) => h.message.text),
      ['Déjà vu at the café'],
    )
    t.same((await bob.http.search({ q: '开会', room: roomId, limit: 1 })).items.length, 1)
    const empty = await bob.http.search({ q: ' ' }).catch((e: unknown) => e)
    t.ok(empty instanceof ApiError)
    t.match(empty, { status: 400, code: 'VALIDATION' })
    const stranger = await user(server)
    t.same((await stranger.http.search({ q: '开会' })).items, [], 'not a member: nothing')
  })

  t.test('history({around}): the page centred on a seq and its cursors', async (t) => {
    const id = await room(server, [alice], 'Jump')
    for (let i = 1; i <= 9; i++) await alice.http.sendMessage(id, `line ${i}`)
    const page = await alice.http.history(id, { around: 5, limit: 3 })
    t.same(
      page.items.map((m) => m.seq),
      [4, 5, 6],
    )
    t.ok(page.prevCursor && page.nextCursor)
    const older = await alice.http.history(id, { cursor: page.prevCursor!, limit: 3 })
    t.same(
      older.items.map((m) => m.seq),
      [1, 2, 3],
    )
    t.equal(older.prevCursor, null, 'nothing before the first')
    const newer = await alice.http.history(id, { cursor: page.nextCursor!, limit: 10 })
    t.same(
      newer.items.map((m) => m.seq),
      [7, 8, 9],
    )
    t.equal(newer.nextCursor, null)
  })

  t.test('pin(), unpin(), pins(); the `pin` event in seq order, replayed with since', async (t) => {
    const id = await room(server, [alice, bob], 'Pins')
    const b = socket(t, { url: server.wsUrl, token: bob.token })
    const order: [string, number][] = []
    const pins: PinFrame[] = []
    b.on('message', (m) => order.push(['message', m.seq]))
    b.on('update', (u) => order.push(['update', u.seq]))
    b.on('pin', (p) => {
      order.push(['pin', p.seq])
      pins.push(p)
    })
    await within(b.connect(), 'connect')
    await b.join(id)
    const first = await alice.http.sendMessage(id, 'the agenda')
    await root.http.pin(id, first.seq)
    await root.http.pin(id, first.seq) // idempotent: no second event
    await alice.http.sendMessage(id, 'after the pin')
    await root.http.unpin(id, first.seq)
    await until(() => order.length === 4, 'four events')
    t.same(order, [
      ['message', 1],
      ['pin', 2],
      ['message', 3],
      ['pin', 4],
    ])
    t.match(pins, [
      { type: 'pin', room: id, seq: 2, message: { seq: 1, text: 'the agenda' }, pinned: true },
      { seq: 4, message: { seq: 1 }, pinned: false },
    ])
    await root.http.pin(id, 3)
    const listed = await bob.http.pins(id)
    t.match(listed, [{ message: { seq: 3, text: 'after the pin' }, pinnedBy: { id: root.id } }])
    t.match(await bob.http.pin(id, 1).catch((e: unknown) => e), { status: 403, code: 'FORBIDDEN' })
    const late = socket(t, { url: server.wsUrl, token: bob.token })
    const replayed: PinFrame[] = []
    late.on('pin', (p) => replayed.push(p))
    await within(late.connect(), 'connect')
    await late.join(id, { since: 3 })
    await until(() => replayed.length === 2, 'two pins replayed')
    t.same(
      replayed.map((p) => [p.seq, p.message.seq, p.pinned]),
      [
        [4, 1, false],
        [5, 3, true],
      ],
    )
  })
})
