// The state each instance keeps for sends (membership, the sender's snapshot) stays exact
// across instances: a leave, a room deletion or a profile change on instance A is honoured by a
// send on instance B as soon as B has the event, and the window between the write on A and the
// event on B is measured here (docs/design/state-for-sends.md quotes it).
import t from 'tap'
import { CHECK_MS, stateChannel } from '../../src/rooms/chat-state.ts'
import { call, loginAdmin, newUser } from '../helpers/api.ts'
import { buildTestApp, sharedEnv } from '../helpers/app.ts'
import { startDyingWriter } from '../helpers/dying-writer.ts'
import { mongoUrl, needServer, redisUrl } from '../helpers/servers.ts'

t.test('chat state across instances', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl) || !needServer(t, 'Redis', redisUrl)) return
  const shared = sharedEnv(t, { RATE_MESSAGE_USER: '100000' }, { scaled: true })
  const a = await buildTestApp(t, shared)
  const b = await buildTestApp(t, shared)
  const admin = await loginAdmin(a)

  /** Resolves when B has received a state event about this room or user. */
  const eventOnB = async (match: (e: { k: string; room?: string; user?: string }) => boolean) => {
    let seen!: () => void
    const got = new Promise<void>((r) => {
      seen = r
    })
    const off = await b.core.internals.bus.subscribe(stateChannel.name, (raw) => {
      if (stateChannel.decode(raw).e.some(match)) seen()
    })
    return { got, off }
  }
  const room = async (name: string) =>
    (await call(a, 'POST', '/api/rooms', { as: admin, body: { name } })).body.room.id as string
  let n = 0
  const send = (roomId: string, as: Awaited<ReturnType<typeof newUser>>) =>
    call(b, 'POST', `/api/rooms/${roomId}/messages`, { as, body: { text: `m${n}`, clientMsgId: `c${n++}` } })

  t.test('a leave on A: a send on B is refused once B has the event', async (t) => {
    const roomId = await room('Leave')
    const user = await newUser(a)
    t.equal((await call(a, 'POST', `/api/rooms/${roomId}/join`, { as: user })).status, 200)
    t.equal((await send(roomId, user)).status, 201, 'B knows the member (and keeps it)')
    t.ok(b.core.internals.chatState.size().members >= 1, 'B keeps the membership')

    const { got, off } = await eventOnB((e) => e.k === 'member' && e.room === roomId)
    const started = performance.now()
    t.equal((await call(a, 'POST', `/api/rooms/${roomId}/leave`, { as: user })).status, 204)
    const left = performance.now()
    await got
    const window = performance.now() - started
    await off()
    const refused = await send(roomId, user)
    t.same([refused.status, refused.body.code], [403, 'NOT_MEMBER'], 'refused right after B has the event')
    t.comment(
      `leave on A answered in ${(left - started).toFixed(1)} ms; B had the event ${window.toFixed(1)} ms after the leave began`,
    )
    t.ok(window < 1000, `the stale window is short (${window.toFixed(1)} ms)`)
  })

  t.test('sends racing a leave: none is stored after B has the event', async (t) => {
    const roomId = await room('Race')
    const user = await newUser(a)
    await call(a, 'POST', `/api/rooms/${roomId}/join`, { as: user })
    t.equal((await send(roomId, user)).status, 201)
    let eventAt = Number.POSITIVE_INFINITY
    const off = await b.core.internals.bus.subscribe(stateChannel.name, (raw) => {
      const { e } = stateChannel.decode(raw)
      if (e.some((x) => x.k === 'member' && x.room === roomId)) eventAt = performance.now()
    })
    const leaving = call(a, 'POST', `/api/rooms/${roomId}/leave`, { as: user })
    const answers: { status: number; at: number }[] = []
    const deadline = performance.now() + 2000
    while (performance.now() < deadline) {
      const started = performance.now()
      const r = await send(roomId, user)
      answers.push({ status: r.status, at: started })
      if (r.status === 403) break
    }
    await leaving
    await off()
    const afterEvent = answers.filter((x) => x.at > eventAt)
    t.ok(
      afterEvent.every((x) => x.status === 403),
      'every send begun after B had the event was refused',
    )
    t.equal(answers.at(-1)?.status, 403, 'the sends end refused')
    t.comment(
      `${answers.filter((x) => x.status === 201).length} sends were stored while the leave was on its way`,
    )
  })

  t.test('a room deleted on A: a send on B gets 404', async (t) => {
    const roomId = await room('Deleted')
    const user = await newUser(a)
    await call(a, 'POST', `/api/rooms/${roomId}/join`, { as: user })
    t.equal((await send(roomId, user)).status, 201)
    const { got, off } = await eventOnB((e) => e.k === 'room' && e.room === roomId)
    t.equal((await call(a, 'DELETE', `/api/rooms/${roomId}`, { as: admin })).status, 204)
    await got
    await off()
    t.equal((await send(roomId, user)).status, 404)
  })

  t.test('a display name changed on A is on the next message sent on B', async (t) => {
    const roomId = await room('Renamed')
    const user = await newUser(a)
    await call(a, 'POST', `/api/rooms/${roomId}/join`, { as: user })
    const first = await send(roomId, user)
    t.equal(first.status, 201)
    const { got, off } = await eventOnB((e) => e.k === 'user' && e.user === user.userId)
    t.equal((await call(a, 'PATCH', '/api/me', { as: user, body: { displayName: 'New Name' } })).status, 200)
    await got
    await off()
    const second = await send(roomId, user)
    t.equal(second.status, 201)
    t.equal(second.body.message.from.displayName, 'New Name')
  })

  t.test(
    'GET /api/me on B follows a join, a profile change, a leave, a room created and one deleted on A',
    async (t) => {
      const user = await newUser(a)
      const me = async (as: typeof user) => (await call(b, 'GET', '/api/me', { as })).body.user
      /** Runs the write on A and waits until B has its event. */
      const onA = async (k: string, who: string, write: () => Promise<unknown>) => {
        const { got, off } = await eventOnB((e) => e.k === k && (e.user === who || e.room === who))
        await write()
        await got
        await off()
      }
      const roomId = await room('Own view')
      t.same((await me(user)).rooms, [], 'read on B: kept there from now on')
      t.same((await me(user)).rooms, [], "the same from B's copy")
      await onA('rooms', user.userId, () => call(a, 'POST', `/api/rooms/${roomId}/join`, { as: user }))
      t.same((await me(user)).rooms, [roomId], 'a join')
      await onA('user', user.userId, () => call(a, 'PATCH', '/api/me', { as: user, body: { bio: 'hello' } }))
      t.equal((await me(user)).bio, 'hello', 'a profile change')
      await onA('member', user.userId, () => call(a, 'POST', `/api/rooms/${roomId}/leave`, { as: user }))
      t.same((await me(user)).rooms, [], 'a leave')
      await onA('rooms', user.userId, () => call(a, 'POST', `/api/rooms/${roomId}/join`, { as: user }))
      t.same((await me(user)).rooms, [roomId])
      await onA('room', roomId, () => call(a, 'DELETE', `/api/rooms/${roomId}`, { as: admin }))
      t.same((await me(user)).rooms, [], 'a room deleted')
      const before = (await me(admin)).rooms as string[]
      let created = ''
      await onA('rooms', admin.userId, async () => {
        created = await room('Created')
      })
      t.same((await me(admin)).rooms, [...before, created], 'a room created')
    },
  )

  t.test('a writer killed between its ticket and its notice: B notices within two checks', async (t) => {
    const roomId = await room('Lost notice')
    const user = await newUser(a)
    await call(a, 'POST', `/api/rooms/${roomId}/join`, { as: user })
    t.equal((await send(roomId, user)).status, 201, 'B keeps the membership')
    // The writer: a third instance, a process of its own, asked to leave the room. It takes its
    // ticket, writes the leave to the store, and is SIGKILLed at the publish of its notice.
    const writer = await startDyingWriter(t, shared.env, stateChannel.name, roomId)
    const { exitCode, answer } = await writer.killDuring(`/api/rooms/${roomId}/leave`, user.token)
    const diedAt = performance.now()
    t.equal(exitCode, null, 'the writer was killed')
    t.equal(answer, 'cut', 'the leave was never answered')
    t.notOk(await b.core.internals.store.rooms.isMember(roomId, user.userId), 'the leave is in the store')
    t.equal((await send(roomId, user)).status, 201, 'B does not know yet')
    while (b.core.internals.chatState.size().members > 0) {
      if (performance.now() - diedAt > 2 * CHECK_MS + 2000) break
      await new Promise((r) => setTimeout(r, 50))
    }
    const noticed = performance.now() - diedAt
    t.equal(b.core.internals.chatState.size().members, 0, 'B dropped what it kept')
    t.ok(
      noticed <= 2 * CHECK_MS + 1000,
      `B noticed the gap ${(noticed / 1000).toFixed(1)} s after the writer died`,
    )
    const refused = await send(roomId, user)
    t.same([refused.status, refused.body.code], [403, 'NOT_MEMBER'], 'and read the store again')
    t.match(
      (await b.metricsText()).text,
      /bus_notices_lost_total\{channel="chat:state"\} 1\n/,
      'counted in /metrics',
    )
  })
})
