// A room's page in a real browser, while it loads:
// - a message that reaches the socket while the page is still loading the room's history stays
//   on screen. The socket may follow the room already (the room list follows the user's rooms
//   for its badges), so a message can arrive live before the history answer, which was read
//   before that message was stored;
// - typing while the room's join is under way costs neither the join nor the messages: a
//   typing notice for a room not joined yet once drew an error naming the room, which the
//   client took for the join's refusal, so the page stopped following the room;
// - a join refused for a passing reason (the store did not answer) is tried again: the page
//   goes live instead of staying silent until it is opened again.
import type { Route, WebSocketRoute } from 'playwright-core'
import t, { type Test } from 'tap'
import { newPerson } from '../helpers/browser.ts'
import { until } from '../helpers/wait.ts'
import { mintCodes, register, type Stage, say, stageWithAdmin } from './people.ts'

/** A room the admin made, and Bob, a member of it, signed in on a page of his own. */
async function bobInRoom(t: Test, { browser, base, admin }: Stage, name: string) {
  const [invite] = await mintCodes(admin, 'invite', 1)
  const created = await admin.request.post('/api/rooms', { data: { name } })
  t.equal(created.status(), 201)
  const roomId = ((await created.json()) as { room: { id: string } }).room.id
  const bob = await newPerson(browser, base)
  await register(bob, 'bob', 'correct-horse-1', invite!)
  t.equal((await bob.request.post(`/api/rooms/${roomId}/join`)).status(), 200)
  return { admin, bob, roomId }
}

t.test('a message delivered while the history loads is shown, not overwritten', async (t) => {
  const stage = await stageWithAdmin(t)
  if (!stage) return
  const { admin, bob, roomId } = await bobInRoom(t, stage, 'Slow')
  // What the socket receives, to know when the message has reached the page.
  const frames: string[] = []
  bob.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push(String(f.payload))))
  await bob.goto('/rooms')
  // The room list follows Bob's rooms on the socket: he shows as online in Slow.
  await until(async () => {
    const members = await admin.request.get(`/api/rooms/${roomId}/members`)
    const page = (await members.json()) as { items: { user: { username: string }; online: boolean }[] }
    return page.items.some((m) => m.user.username === 'bob' && m.online)
  }, 'bob following Slow from the room list')

  // The page's history read is answered by the server at once, but handed to the page only
  // after a message was stored and delivered: the answer the page gets predates the message.
  let held: { route: Route; body: string } | null = null
  await bob.route(`**/api/rooms/${roomId}/messages**`, async (route) => {
    if (held || route.request().method() !== 'GET') return route.continue()
    const response = await route.fetch()
    held = { route, body: await response.text() }
  })
  await bob.locator('main').getByRole('link', { name: 'Slow', exact: true }).click()
  await until(() => held !== null, 'the history read')
  t.same(JSON.parse(held!.body).items, [], 'the history was read while the room was empty')

  const sent = await admin.request.post(`/api/rooms/${roomId}/messages`, {
    data: { text: 'while you were loading', clientMsgId: 'slow-1' },
  })
  t.equal(sent.status(), 201)
  await until(() => frames.some((f) => f.includes('while you were loading')), 'the live frame at the page')
  await held!.route.fulfill({ status: 200, contentType: 'application/json', body: held!.body })

  await bob.getByRole('heading', { name: 'Slow' }).waitFor()
  const shown = bob.locator('.messages article.msg:not(.pending) .text', {
    hasText: 'while you were loading',
  })
  await shown.waitFor()
  t.equal(await shown.count(), 1, 'shown once, after the history arrived')
})

t.test('typing while the room is being joined: the join holds and messages are shown', async (t) => {
  const stage = await stageWithAdmin(t)
  if (!stage) return
  const { bob, roomId } = await bobInRoom(t, stage, 'Quick')
  // Bob's socket goes through a relay that holds his joins of Quick until told to let them go;
  // everything else passes at once, both ways.
  const held: string[] = []
  let holding = true
  let server: WebSocketRoute | null = null
  await bob.routeWebSocket('**/ws', (ws) => {
    const toServer = ws.connectToServer()
    server = toServer
    ws.onMessage((m) => {
      const text = String(m)
      if (holding && text.includes('"type":"join"') && text.includes(roomId)) held.push(text)
      else toServer.send(m)
    })
  })
  const members = bob.waitForResponse((r) => r.url().includes(`/api/rooms/${roomId}/members`))
  await bob.goto(`/rooms/${roomId}`)
  await bob.getByRole('heading', { name: 'Quick' }).waitFor()
  await members
  await until(() => held.length > 0, 'the join held by the relay')
  // The page joins right after the members answer: its join is under way now. Bob starts typing.
  await bob.waitForTimeout(200)
  await bob.getByRole('textbox', { name: 'Message' }).fill('h')
  await bob.waitForTimeout(300)
  holding = false
  for (const frame of held.splice(0)) server!.send(frame)
  await bob
    .locator('.presence')
    .filter({ hasText: /Online \(1\)/ })
    .waitFor()

  await say(bob, 'made it')
  const shown = bob.locator('.messages article.msg:not(.pending) .text', { hasText: 'made it' })
  await shown.waitFor()
  t.equal(await shown.count(), 1, 'the message is shown, delivered, once')
  t.equal(await bob.getByRole('alert').count(), 0, 'and no error on the page')
})

t.test('a join refused for a passing reason is tried again until the room is live', async (t) => {
  const stage = await stageWithAdmin(t)
  if (!stage) return
  const { bob, roomId } = await bobInRoom(t, stage, 'Patient')
  // The relay answers Bob's first two joins of the room as a server whose store failed would.
  let refusals = 0
  await bob.routeWebSocket('**/ws', (ws) => {
    const toServer = ws.connectToServer()
    ws.onMessage((m) => {
      const text = String(m)
      if (refusals < 2 && text.includes('"type":"join"') && text.includes(roomId)) {
        refusals++
        const refusal = {
          type: 'error',
          code: 'INTERNAL',
          message: 'Something went wrong; try again',
          ref: roomId,
        }
        ws.send(JSON.stringify(refusal))
      } else toServer.send(m)
    })
  })
  await bob.goto(`/rooms/${roomId}`)
  await bob.getByRole('heading', { name: 'Patient' }).waitFor()
  await bob
    .locator('.presence')
    .filter({ hasText: /Online \(1\)/ })
    .waitFor()
  t.equal(refusals, 2, 'joined after two refusals')

  await say(bob, 'still here')
  const shown = bob.locator('.messages article.msg:not(.pending) .text', { hasText: 'still here' })
  await shown.waitFor()
  t.equal(await shown.count(), 1, 'the room is live: the message is shown, delivered')
  t.equal(await bob.getByRole('alert').count(), 0, 'and no error on the page')
})
