// Keeping a community safe in the web app, in a real browser against one server on this run's
// backend. Bob blocks Carol from one of her messages: her messages in the room they share fold
// to one line at once (and her typing goes, while Alice still sees it), "Show" reveals one of
// them, their direct room says it is closed (and Carol's send there is refused in words), and
// the personal centre lists her with Unblock. Bob reports a message (a toast thanks him; again:
// "already reported"; an hourly limit says when to come back). Alice, who created the room,
// finds Moderation in her sidebar, sees the report as it was, and resolves it deleting the
// message, which goes from Bob's screen; the admin, deciding the same report a moment later,
// is told Alice was first. The audit log lists the decision and filters by action and actor;
// on a phone its rows are cards. axe-core on every page and dialog.
import type { Locator, Page } from 'playwright-core'
import t from 'tap'
import {
  cspViolations,
  DESKTOP,
  newPerson,
  PHONE,
  screenshot,
  seriousA11yViolations,
  waitForTrue,
} from '../helpers/browser.ts'
import { mintCodes, openRoom, register, stageWithAdmin } from './people.ts'

const PASSWORD = 'correct-horse-1'

/** The delivered message whose own text is exactly `text`. */
const message = (page: Page, text: string): Locator =>
  page.locator('.messages article.msg:not(.pending)').filter({
    has: page.locator('.text', { hasText: new RegExp(`^${text}$`) }),
  })
const folded = (page: Page) => page.locator('.messages .blocked-msg')

/** A message stored through the API (faster than typing it); its seq. */
async function post(page: Page, room: string, text: string): Promise<number> {
  const res = await page.request.post(`/api/rooms/${room}/messages`, {
    data: { text, clientMsgId: `s${Date.now()}-${Math.random()}` },
  })
  if (res.status() !== 201) throw new Error(`posting failed: ${res.status()} ${await res.text()}`)
  return ((await res.json()) as { message: { seq: number } }).message.seq
}

/** Opens a message's "More" menu and picks one of its items. */
async function fromMenu(page: Page, text: string, item: string | RegExp): Promise<void> {
  const m = message(page, text)
  await m.hover()
  await m.getByRole('button', { name: 'More actions' }).click()
  await m.getByRole('button', { name: item }).click()
}

const dialog = (page: Page) => page.getByRole('dialog')
const toastSays = (page: Page, text: string) => page.locator('.toast').filter({ hasText: text }).waitFor()
const noWiderThanScreen = (page: Page) =>
  page.evaluate('document.documentElement.scrollWidth - innerWidth') as Promise<number>

t.test('blocks, reports, moderation and the audit log in the web app', async (t) => {
  const stage = await stageWithAdmin(t)
  if (!stage) return
  const { browser, base, admin } = stage
  const invites = await mintCodes(admin, 'invite', 3)
  const [vip] = await mintCodes(admin, 'activation', 1)
  const alice = await newPerson(browser, base)
  const bob = await newPerson(browser, base)
  const carol = await newPerson(browser, base)
  await register(alice, 'alice', PASSWORD, invites[0]!)
  await register(bob, 'bob', PASSWORD, invites[1]!)
  await register(carol, 'carol', PASSWORD, invites[2]!)
  t.equal((await alice.request.post('/api/me/vip', { data: { code: vip } })).status(), 200, 'alice is VIP')
  t.equal(
    await bob.getByRole('link', { name: 'Moderation' }).count(),
    0,
    'bob, neither admin nor a room’s creator, has no Moderation link',
  )
  await alice.goto('/rooms')
  await alice.getByLabel('Name').fill('Garden')
  await alice.getByRole('button', { name: 'Create' }).click()
  await alice.getByRole('heading', { name: 'Garden' }).waitFor()
  const garden = new URL(alice.url()).pathname.split('/')[2]!
  await openRoom(bob, 'Garden')
  await openRoom(carol, 'Garden')
  const ids = Object.fromEntries(
    await Promise.all(
      (
        [
          ['bob', bob],
          ['carol', carol],
        ] as const
      ).map(async ([name, page]) => [
        name,
        ((await (await page.request.get('/api/me')).json()) as { user: { id: string } }).user.id,
      ]),
    ),
  ) as Record<'bob' | 'carol', string>
  // Their direct room, opened before the block (no one can open it after).
  const dm = await carol.request.post('/api/dms', { data: { userId: ids.bob } })
  t.ok(dm.ok(), 'carol and bob have a direct room')
  const dmId = ((await dm.json()) as { room: { id: string } }).room.id
  await post(carol, garden, 'hello from carol')
  const rude = await post(carol, garden, 'you are all silly')
  await post(bob, garden, 'hi everyone')
  await message(bob, 'you are all silly').waitFor()
  await bob.bringToFront()

  // ------------------------------------------------------------ block: folded at once, typing hidden
  await carol.getByRole('textbox', { name: 'Message' }).pressSequentially('typing')
  await bob.getByText('Carol is typing…').waitFor()
  t.equal(
    await message(bob, 'hi everyone').getByRole('button', { name: 'More actions' }).count(),
    0,
    'no report or block on one’s own message',
  )
  await fromMenu(bob, 'hello from carol', 'Block Carol')
  await dialog(bob).getByRole('heading', { name: 'Block Carol?' }).waitFor()
  t.ok(
    await waitForTrue(bob, `document.activeElement?.textContent === 'Cancel'`).then(() => true),
    'the question focuses Cancel',
  )
  t.same(await seriousA11yViolations(bob), [], 'the block question: no serious accessibility violation')
  await dialog(bob).getByRole('button', { name: 'Block', exact: true }).click()
  await toastSays(bob, 'Carol is blocked.')
  await dialog(bob).waitFor({ state: 'detached' })
  await waitForTrue(bob, `document.querySelectorAll('.messages .blocked-msg').length === 2`)
  t.equal(await message(bob, 'you are all silly').count(), 0, 'her messages fold at once, with no reload')
  t.match(
    await folded(bob).first().textContent(),
    /Message from a blocked user\s*·\s*Show/,
    'to one line each',
  )
  t.equal(await bob.getByText('Carol is typing…').count(), 0, 'her typing is no longer shown')
  await carol.waitForTimeout(2100)
  await carol.getByRole('textbox', { name: 'Message' }).pressSequentially(' more')
  await alice.getByText('Carol is typing…').waitFor()
  await bob.waitForTimeout(300)
  t.equal(await bob.getByText('Carol is typing…').count(), 0, 'alice sees carol typing, bob does not')
  await carol.getByRole('textbox', { name: 'Message' }).fill('')
  await post(carol, garden, 'a live one from carol')
  await waitForTrue(bob, `document.querySelectorAll('.messages .blocked-msg').length === 3`)
  t.pass('a live message of hers arrives folded')
  t.equal(await message(alice, 'a live one from carol').count(), 1, 'and shows to alice as ever')

  await folded(bob).first().getByRole('button', { name: 'Show this message' }).click()
  await message(bob, 'hello from carol').waitFor()
  t.equal(await folded(bob).count(), 2, '“Show” reveals that one message only')
  t.equal(await message(bob, 'you are all silly').count(), 0, 'the others stay folded')
  t.same(
    await seriousA11yViolations(bob),
    [],
    'a room with folded messages: no serious accessibility violation',
  )
  await bob.locator('main').focus()
  await screenshot(bob, 'blocked')

  // ------------------------------------------------------------ their direct room is closed
  await bob.goto(`/rooms/${dmId}`)
  await bob.getByText('You blocked Carol: neither of you can write here.').waitFor()
  t.equal(await bob.getByRole('textbox', { name: 'Message' }).count(), 0, 'bob has no composer there')
  await carol.goto(`/rooms/${dmId}`)
  await carol.getByRole('textbox', { name: 'Message' }).fill('are you there?')
  await carol.getByRole('button', { name: 'Send' }).click()
  await carol
    .getByRole('alert')
    .filter({ hasText: 'This conversation is closed: one of you has blocked the other' })
    .waitFor()
  t.pass('carol’s send there is refused in words (403 BLOCKED)')
  await carol.goto(`/users/${ids.bob}`)
  await carol.getByRole('button', { name: 'Send a direct message' }).click()
  await carol.getByRole('alert').filter({ hasText: 'one of you has blocked the other' }).waitFor()
  t.pass('and opening it from his page says the same')
  await bob.goto(`/users/${ids.carol}`)
  await bob.getByText('You block Carol').waitFor()
  t.equal(
    await bob.getByRole('button', { name: 'Send a direct message' }).count(),
    0,
    'bob’s page of her offers Unblock, not a message',
  )
  t.equal(await bob.getByRole('button', { name: 'Unblock Carol' }).count(), 1, 'Unblock is on her page')

  // ------------------------------------------------------------ the personal centre lists her
  await bob.goto('/me')
  const list = bob.locator('section[aria-labelledby="h-blocked"]')
  const row = list.locator(`li[data-blocked="${ids.carol}"]`)
  await row.getByRole('link', { name: 'Carol' }).waitFor()
  t.match(await row.textContent(), '@carol', 'Carol is listed by name and username')
  t.equal((await row.locator('.avatar, img, [aria-hidden="true"]').count()) > 0, true, 'with her avatar')
  t.same(
    await seriousA11yViolations(bob),
    [],
    'the personal centre’s blocks: no serious accessibility violation',
  )
  await list.scrollIntoViewIfNeeded()
  await screenshot(bob, 'blocked-people')
  await row.getByRole('button', { name: 'Unblock Carol' }).click()
  await toastSays(bob, 'Carol is unblocked.')
  await list.getByText('You block no one.').waitFor()
  t.pass('unblocked from the list, which empties at once')
  await bob.locator('.sidebar').getByRole('link', { name: 'Garden' }).click()
  await message(bob, 'you are all silly').waitFor()
  t.equal(await folded(bob).count(), 0, 'back in the room, her messages show again')

  // ------------------------------------------------------------ report a message
  await fromMenu(bob, 'you are all silly', 'Report message')
  const report = dialog(bob)
  await report.getByRole('heading', { name: 'Report this message' }).waitFor()
  await report.getByLabel('Abuse').check()
  await report.getByLabel('Note for the moderators (optional)').fill('Rude to everyone, again.')
  t.equal(
    await report.getByLabel('Note for the moderators (optional)').getAttribute('maxlength'),
    '1000',
    'the note has a length limit',
  )
  await bob.keyboard.press('Tab')
  t.ok(
    await bob.evaluate('document.querySelector("dialog[open]").contains(document.activeElement)'),
    'the focus stays inside the dialog',
  )
  t.same(await seriousA11yViolations(bob), [], 'the report dialog: no serious accessibility violation')
  await screenshot(bob, 'report-dialog')
  await bob.keyboard.press('Escape')
  await report.waitFor({ state: 'detached' })
  t.pass('Esc closes it without reporting')
  await fromMenu(bob, 'you are all silly', 'Report message')
  await report.getByLabel('Abuse').check()
  await report.getByLabel('Note for the moderators (optional)').fill('Rude to everyone, again.')
  await report.getByRole('button', { name: 'Submit report' }).click()
  await toastSays(bob, 'Reported, thank you')
  await report.waitFor({ state: 'detached' })
  t.pass('a report made: “Reported, thank you”')
  await fromMenu(bob, 'you are all silly', 'Report message')
  await report.getByRole('button', { name: 'Submit report' }).click()
  await toastSays(bob, 'You have already reported this message')
  t.pass('the same again: 409 ALREADY_REPORTED in words')
  // An hourly limit reached (answered here, so the test need not send twenty reports).
  await bob.route('**/api/reports', (route) =>
    route.fulfill({
      status: 429,
      headers: { 'retry-after': '3000' },
      contentType: 'application/json',
      body: JSON.stringify({
        statusCode: 429,
        code: 'RATE_LIMITED',
        error: 'Too Many Requests',
        message: 'Slow down',
      }),
    }),
  )
  await fromMenu(bob, 'a live one from carol', 'Report message')
  await report.getByRole('button', { name: 'Submit report' }).click()
  await report.getByRole('alert').filter({ hasText: 'try again in 50 minutes' }).waitFor()
  t.pass('a rate limit says when to come back, the dialog kept open')
  await report.getByRole('button', { name: 'Cancel' }).click()
  await bob.unrouteAll()

  // ------------------------------------------------------------ moderation: the room's creator and the admin
  await alice.goto('/')
  await alice.getByRole('link', { name: 'Moderation' }).click()
  await alice.getByRole('heading', { name: 'Moderation', exact: true }).waitFor()
  const card = (page: Page) => page.locator('article.report-card').filter({ hasText: 'you are all silly' })
  await card(alice).waitFor()
  const shown = (await card(alice).textContent()) ?? ''
  for (const [what, text] of [
    ['the author', 'Carol'],
    ['the room', '#Garden'],
    ['the reporter', '@bob'],
    ['the reason', 'Abuse'],
    ['the note', 'Rude to everyone, again.'],
  ] as const)
    t.match(shown, text, `the report shows ${what}`)
  t.equal(
    await card(alice).getByRole('button', { name: 'Resolve + ban' }).count(),
    0,
    'a room’s creator has no ban',
  )
  t.same(await seriousA11yViolations(alice), [], 'the moderation queue: no serious accessibility violation')
  await alice.locator('main').focus()
  await screenshot(alice, 'moderation-queue')

  await admin.goto('/admin')
  await admin.getByRole('link', { name: 'Moderation' }).waitFor()
  await admin.goto('/moderation')
  await card(admin).waitFor()
  t.equal(await card(admin).getByRole('button', { name: 'Resolve + ban' }).count(), 1, 'an admin may ban')

  await card(alice).getByRole('button', { name: 'Resolve + delete message' }).click()
  await dialog(alice).getByRole('heading', { name: 'Resolve + delete message?' }).waitFor()
  await dialog(alice).getByRole('button', { name: 'Resolve + delete message' }).click()
  await card(alice).locator('.decided').filter({ hasText: 'by alice · message deleted' }).waitFor()
  t.pass('resolved with the message deleted, said on the row')
  await bob
    .locator(`.messages article.msg[data-seq="${rude}"]`)
    .getByText('This message was deleted.')
    .waitFor()
  t.pass('the message is gone from bob’s room, live')

  await card(admin).getByRole('button', { name: 'Dismiss' }).click()
  await card(admin).getByRole('alert').filter({ hasText: 'alice decided this report first.' }).waitFor()
  await card(admin).locator('.decided').filter({ hasText: 'Resolved' }).waitFor()
  t.pass('a second decider is told who was first (409 ALREADY_DECIDED), and the row refreshed')

  await alice.getByRole('button', { name: 'Resolved', exact: true }).click()
  await card(alice).waitFor()
  t.equal(await alice.locator('article.report-card').count(), 1, 'the resolved filter lists it')
  await alice.getByRole('button', { name: 'Dismissed', exact: true }).click()
  await alice.getByText('No dismissed report yet.').waitFor()
  await alice.getByRole('button', { name: 'Open', exact: true }).click()
  await alice.getByText('No open report: nothing waits for a decision.').waitFor()
  t.pass('and the others do not')

  // ------------------------------------------------------------ the audit log
  await admin.goto('/admin')
  await admin.getByRole('link', { name: 'Audit log' }).click()
  await admin.getByRole('heading', { name: 'Audit log' }).waitFor()
  const decision = admin.locator('tr[data-action="report.decide"]')
  await decision.waitFor()
  const line = (await decision.locator('td').allTextContents()).map((x) => x.trim()).join(' ')
  t.match(
    line,
    /@alice Report decided @carol resolved · message deleted · message \d+ in #Garden/,
    'the decision, in words',
  )
  t.ok((await admin.locator('tr[data-action="message.delete"]').count()) >= 1, 'and the deletion it made')
  const actions = await admin
    .locator('tbody tr')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')))
  t.ok(actions.includes('code.mint'), 'the codes minted are there too')
  t.ok(actions.indexOf('report.decide') < actions.indexOf('code.mint'), 'newest first')
  await admin.getByLabel('Action').selectOption('report.decide')
  await waitForTrue(
    admin,
    `[...document.querySelectorAll('tbody tr')].every((r) => r.dataset.action === 'report.decide')`,
  )
  t.equal(await admin.locator('tbody tr').count(), 1, 'filtered by action')
  await admin.getByLabel('Action').selectOption('')
  await admin.getByLabel('Actor').fill('alice')
  await admin.getByRole('button', { name: 'Filter' }).click()
  await waitForTrue(
    admin,
    `(() => { const a = [...document.querySelectorAll('tbody td[data-label="Actor"]')].map((d) => d.textContent.trim()); return a.length > 0 && a.every((x) => x === '@alice') })()`,
  )
  t.pass('filtered by actor, a username looked up in the directory')
  await admin.getByLabel('Actor').fill('nobody-here')
  await admin.getByRole('button', { name: 'Filter' }).click()
  await admin.getByRole('alert').filter({ hasText: 'No user is named “nobody-here”' }).waitFor()
  await admin.getByRole('button', { name: 'Clear' }).click()
  await waitForTrue(admin, `document.querySelectorAll('tbody tr').length > 2`)
  t.same(await seriousA11yViolations(admin), [], 'the audit log: no serious accessibility violation')
  await admin.locator('main').focus()
  await screenshot(admin, 'audit')
  await admin.setViewportSize(PHONE)
  t.equal(
    await admin.evaluate('getComputedStyle(document.querySelector("tbody tr")).display'),
    'block',
    'on a phone each entry is a card',
  )
  t.ok((await noWiderThanScreen(admin)) <= 0, 'nothing wider than the screen')
  t.same(await seriousA11yViolations(admin), [], 'the audit cards: no serious accessibility violation')
  await admin.setViewportSize(DESKTOP)

  t.same(cspViolations, [], 'nothing here is refused by the Content-Security-Policy')
})
