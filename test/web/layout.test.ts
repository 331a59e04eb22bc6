// The web app as people meet it in a chat app, in a real browser against one server on this
// run's backend: a signed-out visit with no failed request, forms that state their rules and
// say what went wrong in words per field; the admin's minted codes kept on screen with copy and
// CSV, the user list showing state and only the actions that apply; the room in the chat layout
// (a sidebar with live badges, Alt+↓ to the next room, messages grouped under one name with an
// avatar, day separators, the "new since you were here" divider, history that keeps its place,
// the "new messages" pill, Markdown rendered safely, a multi-line composer, @-completion, the
// emoji picker with its own font, delete asking first); and the phone layout (390×844).
import { readFileSync } from 'node:fs'
import type { Locator, Page } from 'playwright-core'
import t from 'tap'
import { ADMIN } from '../helpers/app.ts'
import {
  cspViolations,
  DESKTOP,
  newPerson,
  PHONE,
  screenshot,
  seriousA11yViolations,
  settled,
  waitForTrue,
} from '../helpers/browser.ts'
import { shiftedClock } from '../helpers/clock.ts'
import { until } from '../helpers/wait.ts'
import { mintCodes, register, say, stageWithAdmin } from './people.ts'

const PASSWORD = 'correct-horse-1'
// The server runs in this process: moving its clock a day on makes "tomorrow's" messages.
const clock = shiftedClock()
t.teardown(() => clock.restore())

/** A delivered message whose text contains `text`. */
const message = (page: Page, text: string): Locator =>
  page
    .locator('.messages article.msg:not(.pending)')
    .filter({ has: page.locator('.text', { hasText: text }) })

/** A computed style of the element a locator finds. */
const style = (l: Locator, prop: string) =>
  l.evaluate(
    (e, p) =>
      (globalThis as unknown as { getComputedStyle(e: unknown): Record<string, string> }).getComputedStyle(e)[
        p
      ],
    prop,
  )
/** The element a locator finds has the focus. */
const focused = (l: Locator) =>
  l.evaluate(
    (e) => e === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement,
  )

/** Failed requests and console errors of a page, from now on. */
function failures(page: Page): string[] {
  const seen: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') seen.push(`console: ${m.text()}`)
  })
  page.on('response', (r) => {
    if (r.status() >= 400) seen.push(`${r.status()} ${r.request().method()} ${r.url()}`)
  })
  return seen
}

async function post(page: Page, roomId: string, text: string, id: string) {
  const res = await page.request.post(`/api/rooms/${roomId}/messages`, { data: { text, clientMsgId: id } })
  if (res.status() !== 201) throw new Error(`sending over HTTP: ${res.status()} ${await res.text()}`)
}

t.test('the web app as a chat app, in Chromium', async (t) => {
  const stage = await stageWithAdmin(t)
  if (!stage) return
  const { browser, base, admin } = stage

  // ------------------------------------------------------------ signed out, and the forms
  const visitor = await newPerson(browser, base)
  const failed = failures(visitor)
  await visitor.goto('/')
  await visitor.waitForURL(/\/login/)
  await visitor.getByRole('heading', { name: 'Sign in' }).waitFor()
  t.same(failed, [], 'a signed-out visit: no console error, no failed request')
  await visitor.getByRole('button', { name: 'Register', exact: true }).first().click()
  t.ok(
    await visitor.getByText('3 to 32 characters: letters, digits, and _ . -').isVisible(),
    'the username rule is shown before typing',
  )
  t.ok(await visitor.getByText('At least 8 characters.').isVisible(), 'and the password rule')
  const form = visitor.locator('form')
  await visitor.getByLabel('Username').fill('a b')
  await visitor.getByLabel('Password').fill('short')
  await visitor.getByRole('button', { name: 'Register', exact: true }).last().click()
  await visitor.locator('#err-username').waitFor()
  t.equal(
    await visitor.locator('#err-username').textContent(),
    'A username has 3 to 32 characters: letters, digits, and _ . -',
    'a wrong username is told in words, next to the field',
  )
  t.equal(
    await visitor.locator('#err-password').textContent(),
    'A password needs at least 8 characters.',
    'and a short password',
  )
  t.equal(
    await visitor.getByLabel('Username').getAttribute('aria-invalid'),
    'true',
    'the field is marked invalid',
  )
  await visitor.getByLabel('Username').fill('carol')
  await visitor.getByLabel('Password').fill(PASSWORD)
  await visitor.getByLabel('Invite code').fill('NOT-A-CODE')
  await visitor.getByRole('button', { name: 'Register', exact: true }).last().click()
  await visitor.locator('#err-inviteCode').waitFor()
  t.equal(
    await visitor.locator('#err-inviteCode').textContent(),
    'This invite code is unknown, used up, expired or revoked.',
    "the server's refusal in words, from its code, at the field",
  )
  t.equal(await visitor.locator('#err-username').count(), 0, 'the earlier errors are gone')
  t.notMatch((await form.textContent()) ?? '', /must match|body\//, "no validator's text reaches the page")
  const [taken] = await mintCodes(admin, 'invite', 1)
  await visitor.getByLabel('Username').fill('admin')
  await visitor.getByLabel('Invite code').fill(taken!)
  await visitor.getByRole('button', { name: 'Register', exact: true }).last().click()
  await visitor.locator('#err-username').filter({ hasText: 'This username is taken' }).waitFor()
  t.match(
    await visitor.locator('#err-username').textContent(),
    /This username is taken/,
    'a username taken is said at the username',
  )
  await visitor.getByRole('button', { name: 'Sign in', exact: true }).first().click()
  await visitor.getByLabel('Username').fill('admin')
  await visitor.getByLabel('Password').fill('wrong-password')
  await visitor.getByRole('button', { name: 'Sign in', exact: true }).last().click()
  await visitor.locator('#err-password').filter({ hasText: 'Wrong username or password.' }).waitFor()
  t.match(
    await visitor.locator('#err-password').textContent(),
    /Wrong username or password\./,
    'a wrong password is said in words',
  )
  t.same(
    await seriousA11yViolations(visitor),
    [],
    'the form with its errors: no serious accessibility violation',
  )
  await visitor.context().close()

  // ------------------------------------------------------------ the admin's codes
  await admin.context().grantPermissions(['clipboard-read', 'clipboard-write'])
  await admin.goto('/admin')
  const mint = async (count: number) => {
    const shown = await admin.locator('section.minted').count()
    const f = admin.getByRole('form', { name: 'Invite codes' })
    await f.getByLabel('Invite codes').fill(String(count))
    await f.getByRole('button').click()
    await admin.locator('section.minted').nth(shown).waitFor()
  }
  await mint(2)
  await mint(1)
  const batches = admin.locator('section.minted')
  t.equal(await batches.count(), 2, 'a second minting keeps the first batch on screen')
  const newest = await batches.nth(0).locator('.new-code').allInnerTexts()
  const first = await batches.nth(1).locator('.new-code').allInnerTexts()
  t.equal(newest.length + first.length, 3, 'all three codes shown, newest batch first')
  await batches.nth(1).getByRole('button', { name: 'Copy all' }).click()
  await admin.getByRole('status').filter({ hasText: '2 code(s) copied.' }).waitFor()
  t.equal(
    await admin.evaluate('navigator.clipboard.readText()'),
    first.join('\n'),
    'Copy all puts the batch on the clipboard',
  )
  await batches
    .nth(0)
    .getByRole('button', { name: `Copy code ${newest[0]}` })
    .click()
  await batches
    .nth(0)
    .getByRole('button', { name: `Copy code ${newest[0]}` })
    .filter({ hasText: 'Copied' })
    .waitFor()
  t.equal(await admin.evaluate('navigator.clipboard.readText()'), newest[0], 'Copy copies one code')
  await mint(2)
  const [download] = await Promise.all([
    admin.waitForEvent('download'),
    batches.nth(0).getByRole('button', { name: 'Download CSV' }).click(),
  ])
  const csv = readFileSync((await download.path())!, 'utf8')
  const csvCodes = await batches.nth(0).locator('.new-code').allInnerTexts()
  t.match(csv, /^code,type,uses,vipDays,expiresAt\r\n/, 'the CSV has a header')
  t.ok(
    csvCodes.every((c) => csv.includes(`${c},invite,1,`)),
    'and a line per code',
  )
  // One more batch, not copied: leaving asks first.
  await mint(1)
  const asked: string[] = []
  admin.once('dialog', (d) => {
    asked.push(d.message())
    void d.dismiss()
  })
  await admin.locator('#sidebar').getByRole('link', { name: 'Home' }).click()
  await until(async () => asked.length > 0, 'the leave warning')
  t.match(asked[0], /not copied yet/, 'leaving with codes not copied asks first')
  t.match(new URL(admin.url()).pathname, /^\/admin/, 'and staying keeps them on screen')
  t.equal(await batches.count(), 4, 'every batch still there')
  await screenshot(admin, 'admin-codes')
  for (let i = (await batches.count()) - 1; i >= 0; i--)
    await batches
      .nth(i)
      .getByRole('button', { name: /^Dismiss/ })
      .click()
  t.equal(await batches.count(), 0, 'dismissed, they are gone')

  // ------------------------------------------------------------ people, and the admin's user list
  const invites = await mintCodes(admin, 'invite', 2)
  const alice = await newPerson(browser, base)
  const bob = await newPerson(browser, base)
  await register(alice, 'alice', PASSWORD, invites[0]!)
  await register(bob, 'bob', PASSWORD, invites[1]!)
  await admin.reload()
  const own = admin.locator(`li[data-user="${ADMIN.username}"]`)
  await own.waitFor()
  t.equal(await own.getByRole('button').count(), 0, 'no action offered on oneself')
  t.match((await own.textContent()) ?? '', /admin.*you/s, 'the own row says admin, you')
  const bobRow = admin.locator('li[data-user="bob"]')
  await bobRow.getByRole('button', { name: 'Ban bob' }).click()
  await bobRow.locator('.badge.banned').waitFor()
  t.same(
    [
      await bobRow.getByRole('button').count(),
      await bobRow.getByRole('button', { name: 'Unban bob' }).count(),
    ],
    [1, 1],
    'a banned user shows as banned, with Unban only',
  )
  await bobRow.getByRole('button', { name: 'Unban bob' }).click()
  await bobRow.getByRole('button', { name: 'Ban bob' }).waitFor()
  await bobRow.locator('.badge.banned').waitFor({ state: 'detached' })
  t.equal(
    await bobRow.locator('.badge.banned').count(),
    0,
    'unbanned, the badge goes and Ban is offered again',
  )
  await screenshot(admin, 'admin')
  t.same(await seriousA11yViolations(admin), [], 'the admin page: no serious accessibility violation')
  // Bob was banned: his session ended. He signs in again.
  await bob.goto('/login')
  await bob.getByLabel('Username').fill('bob')
  await bob.getByLabel('Password').fill(PASSWORD)
  await bob.getByRole('button', { name: 'Sign in', exact: true }).last().click()
  await bob.getByRole('heading', { name: /^Hello, / }).waitFor()

  // ------------------------------------------------------------ the sidebar
  const rooms: Record<string, string> = {}
  for (const name of ['Garden', 'Lobby']) {
    const made = await admin.request.post('/api/rooms', {
      data: { name, description: `The ${name.toLowerCase()}` },
    })
    rooms[name] = ((await made.json()) as { room: { id: string } }).room.id
    for (const p of [alice, bob])
      t.equal((await p.request.post(`/api/rooms/${rooms[name]}/join`)).status(), 200)
  }
  await alice.goto(`/rooms/${rooms.Lobby}`)
  const side = alice.locator('#sidebar')
  await side.getByRole('link', { name: 'Garden' }).waitFor()
  t.same(
    await side.locator('[data-side-room] .side-name').allInnerTexts(),
    ['Garden', 'Lobby'],
    "the sidebar lists the user's rooms",
  )
  t.equal(
    await side.locator('.router-link-active .side-name').textContent(),
    'Lobby',
    'the open room is marked',
  )
  await alice
    .locator('.presence')
    .filter({ hasText: /Online \([1-9]/ })
    .waitFor()
  await post(bob, rooms.Garden!, 'over in the garden @alice', 'g1')
  const gardenBadge = side.locator(`[data-side-room="${rooms.Garden}"] .badge.unread`)
  await gardenBadge.waitFor()
  t.equal((await gardenBadge.textContent())?.trim(), '1 unread', 'a message elsewhere badges that room, live')
  t.equal(
    (await side.locator(`[data-side-room="${rooms.Garden}"] .badge.mention`).textContent())?.trim(),
    '@1 mentions',
    'and a mention says so',
  )
  await alice.locator('.messages').focus()
  await alice.keyboard.press('Alt+ArrowUp')
  await alice.waitForURL(new RegExp(rooms.Garden!))
  await message(alice, 'over in the garden').waitFor()
  t.match(alice.url(), new RegExp(rooms.Garden!), 'Alt+↑ opens the room above in the sidebar')
  await gardenBadge.waitFor({ state: 'detached' })
  t.equal(await gardenBadge.count(), 0, 'and reading it clears its badge')
  await alice.keyboard.press('Alt+ArrowDown')
  await alice.waitForURL(new RegExp(rooms.Lobby!))
  t.pass('Alt+↓ the one below')

  // ------------------------------------------------------------ empty room, grouping, avatars
  t.match(
    (await alice.locator('.empty').textContent()) ?? '',
    /Welcome to #Lobby/,
    'an empty room greets instead of a blank box',
  )
  await bob.goto(`/rooms/${rooms.Lobby}`)
  await bob.bringToFront()
  await bob.locator('.presence').filter({ hasText: 'Alice' }).waitFor()
  for (const text of ['one', 'two', 'three']) {
    await say(bob, `bob says ${text}`)
    await message(bob, `bob says ${text}`).waitFor()
  }
  await message(alice, 'bob says three').waitFor()
  const bobs = alice.locator('.messages article.msg').filter({ hasText: 'bob says' })
  t.same(
    await bobs.evaluateAll((els) => els.map((e) => e.classList.contains('grouped'))),
    [false, true, true],
    'three messages in a row: one group',
  )
  t.equal(await bobs.locator('.from').count(), 1, 'under one name')
  t.equal(await bobs.locator('.avatar').count(), 1, 'with one avatar')
  t.equal(
    (await bobs.first().locator('.avatar').textContent())?.trim(),
    'B',
    "the avatar shows the person's initial",
  )
  t.equal(await style(bobs.first().locator('.actions'), 'opacity'), '0', 'actions are hidden until hovered')
  await bobs.first().hover()
  t.equal(await style(bobs.first().locator('.actions'), 'opacity'), '1', 'and shown on hover')

  // ------------------------------------------------------------ text people write
  const box = bob.getByRole('textbox', { name: 'Message' })
  await box.fill('')
  await box.pressSequentially('line one')
  await box.press('Shift+Enter')
  await box.pressSequentially('line two')
  t.equal(await box.inputValue(), 'line one\nline two', 'Shift+Enter makes a new line')
  await box.press('Enter')
  const twoLines = message(alice, 'line two')
  await twoLines.waitFor()
  t.equal(await twoLines.locator('.text br').count(), 1, 'Enter sends, the lines kept')
  await box.pressSequentially('hi @al')
  const option = bob.getByRole('option', { name: /Alice/ })
  await option.waitFor()
  await box.press('Enter')
  t.equal(await box.inputValue(), 'hi @alice ', '@ completes a member name')
  await bob.getByRole('button', { name: 'Emoji' }).click()
  await bob.getByRole('button', { name: 'waving 👋' }).click()
  t.equal(await box.inputValue(), 'hi @alice 👋', 'the picker inserts the emoji at the caret')
  await box.press('Enter')
  const wave = message(alice, 'hi @alice')
  await wave.waitFor()
  await waitForTrue(alice, `document.fonts.check('20px "Noto Color Emoji"', '👋')`)
  t.ok(
    await alice.evaluate(
      `[...document.fonts].some((f) => f.family.includes('Noto Color Emoji') && f.status === 'loaded')`,
    ),
    'emojis are drawn with the font the app ships',
  )
  await say(
    bob,
    '**bold** _italic_ ~~gone~~ `code` > no\n\n> quoted\n\n- one\n- two\n\n[a link](https://example.com/x) and https://example.org',
  )
  const md = message(alice, 'italic')
  await md.waitFor()
  t.same(
    await md
      .locator('.text')
      .evaluate((e) =>
        ['strong', 'em', 's', 'code', 'blockquote', 'ul li'].map((q) => e.querySelectorAll(q).length),
      ),
    [1, 1, 1, 1, 1, 2],
    'Markdown: bold, italic, strike, code, a quote, a list',
  )
  t.same(
    await md
      .locator('.text a')
      .evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.getAttribute('rel')])),
    [
      ['https://example.com/x', 'noopener noreferrer'],
      ['https://example.org', 'noopener noreferrer'],
    ],
    'links, and addresses turned into links, with rel="noopener noreferrer"',
  )
  const bobsMd = message(bob, 'italic')
  await bobsMd.getByRole('button', { name: 'React', exact: true }).click()
  await bobsMd.getByRole('button', { name: 'party popper 🎉' }).click()
  await md.getByRole('button', { name: /^🎉 1/ }).waitFor()
  await alice.locator('.messages').evaluate((l) => {
    l.scrollTop = l.scrollHeight
  })
  await alice.mouse.move(0, 0)
  await screenshot(alice, 'markdown')
  // ------------------------------------------------------------ delete asks first
  await say(bob, 'to be deleted')
  const doomed = message(bob, 'to be deleted')
  await doomed.waitFor()
  await doomed.getByRole('button', { name: 'Delete' }).click()
  const confirm = doomed.getByRole('group', { name: 'Delete this message?' })
  await confirm.waitFor()
  t.ok(await focused(confirm.getByRole('button', { name: 'Cancel' })), 'asking, the focus on Cancel')
  await bob.keyboard.press('Escape')
  await confirm.waitFor({ state: 'detached' })
  t.equal(await message(alice, 'to be deleted').count(), 1, 'Esc (or Cancel) keeps the message')
  await doomed.getByRole('button', { name: 'Delete' }).click()
  await confirm.getByRole('button', { name: 'Yes, delete' }).click()
  await alice.locator('.messages .tombstone').waitFor()
  t.equal(await message(alice, 'to be deleted').count(), 0, 'confirmed, it is deleted for everyone')
  t.same(await seriousA11yViolations(alice), [], 'a conversation: no serious accessibility violation')
  await alice.emulateMedia({ colorScheme: 'dark' })
  await settled(alice) // the app's listener gives the dark scheme its accent shades first
  t.same(await seriousA11yViolations(alice), [], 'and in the dark scheme')
  await alice.emulateMedia({ colorScheme: 'light' })

  // ------------------------------------------------------------ hostile text: nothing runs, nothing overflows
  await alice.goto(`/rooms/${rooms.Garden}`)
  await message(alice, 'over in the garden').waitFor()
  await post(
    bob,
    rooms.Garden!,
    'img <img src=x onerror="window.pwned=1"> <script>window.pwned=2</script>',
    'h1',
  )
  await post(
    bob,
    rooms.Garden!,
    '[click me](javascript:window.pwned=3) <a href="javascript:window.pwned=4">raw</a>',
    'h2',
  )
  const long = 'x'.repeat(4000)
  await post(bob, rooms.Garden!, long, 'h3')
  const hostile = message(alice, 'img')
  await hostile.waitFor()
  const js = message(alice, 'click me')
  await js.waitFor()
  await message(alice, 'xxxxxxxx').waitFor()
  t.equal(await hostile.locator('img, script').count(), 0, 'raw HTML is text: no img, no script')
  t.match((await hostile.locator('.text').textContent()) ?? '', /<img src=x onerror=/, 'shown as written')
  await js
    .getByText('click me')
    .click({ modifiers: [] })
    .catch(() => {})
  t.equal(
    await js.locator('a[href^="javascript"], a[href^="JAVASCRIPT"]').count(),
    0,
    'a javascript: link has no address',
  )
  t.equal(await alice.evaluate('window.pwned'), undefined, 'nothing ran')
  const widths = await alice.evaluate(`(() => {
    const list = document.querySelector('.messages')
    return { list: list.scrollWidth - list.clientWidth, page: document.documentElement.scrollWidth - innerWidth }
  })()`)
  t.same(widths, { list: 0, page: 0 }, 'a 4,000-character word wraps: nothing wider than the list')

  // ------------------------------------------------------------ the read marker's divider
  await bob.goto('/')
  await post(alice, rooms.Lobby!, 'while bob was away', 'away-1')
  await post(alice, rooms.Lobby!, 'still away', 'away-2')
  await bob.goto(`/rooms/${rooms.Lobby}`)
  const divider = bob.getByRole('separator', { name: 'New since you were here' })
  await divider.waitFor()
  t.equal(
    await divider.evaluate((d) => d.nextElementSibling?.textContent?.includes('while bob was away')),
    true,
    'the divider stands before the first message new since he was here',
  )
  t.ok(await divider.isVisible(), 'and the room opens there')
  await post(alice, rooms.Lobby!, 'live now', 'live-1')
  await message(bob, 'live now').waitFor()
  t.equal(
    await bob.getByRole('separator', { name: 'New since you were here' }).count(),
    1,
    'a live message adds no divider',
  )

  // ------------------------------------------------------------ history keeps its place
  for (let i = 1; i <= 70; i++) await post(alice, rooms.Garden!, `garden ${i}`, `garden-${i}`)
  await bob.goto(`/rooms/${rooms.Garden}`)
  await message(bob, 'garden 70').waitFor()
  const list = bob.locator('.messages')
  const anchor = message(bob, 'garden 21')
  await anchor.waitFor()
  await list.evaluate((l) => {
    l.scrollTop = 0
  })
  await message(bob, 'garden 20').waitFor()
  const y0 = (await anchor.boundingBox())!.y
  await settled(bob)
  const y1 = (await anchor.boundingBox())!.y
  t.ok(
    Math.abs(y1 - y0) < 2 && y1 > 0,
    `older history loads above and the reader's place is kept (${y0} → ${y1})`,
  )
  await post(alice, rooms.Garden!, 'something new below', 'below-1')
  const pill = bob.getByRole('button', { name: /1 new message/ })
  await pill.waitFor()
  t.ok(
    Math.abs((await anchor.boundingBox())!.y - y1) < 2,
    'a new message while scrolled up does not move the list',
  )
  await pill.click()
  await message(bob, 'something new below').waitFor()
  t.ok(await message(bob, 'something new below').isVisible(), 'the pill goes down to it')

  // ------------------------------------------------------------ a direct room says who is there
  await alice.goto(`/users`)
  await alice.getByLabel('Search people').fill('bob')
  await alice.getByRole('link', { name: 'Bob' }).click()
  await alice.getByRole('button', { name: 'Send a direct message' }).click()
  await alice.getByRole('heading', { name: 'Bob (direct)' }).waitFor()
  await alice
    .locator('.presence')
    .filter({ hasText: /Bob is (online|offline)/ })
    .waitFor()
  t.pass('a direct room names the other person in its presence line')
  await say(alice, 'psst')
  await message(alice, 'psst').waitFor()
  // The other person's app learns of a new direct room with its badges (read when the window
  // gets the focus, and every 20 s).
  await bob.bringToFront()
  await bob.evaluate("window.dispatchEvent(new Event('focus'))")
  await bob.locator('#sidebar').getByRole('link', { name: 'Alice' }).waitFor()
  t.equal(
    (
      await bob
        .locator('#sidebar')
        .getByRole('link', { name: 'Alice' })
        .locator('.badge.unread')
        .textContent()
    )?.trim(),
    '1 unread',
    'and it joins the sidebar of the other, unread',
  )

  // ------------------------------------------------------------ the phone
  await bob.goto(`/rooms/${rooms.Lobby}`)
  await message(bob, 'live now').waitFor()
  await bob.setViewportSize(PHONE)
  await settled(bob)
  const composerBox = (await bob.getByRole('textbox', { name: 'Message' }).boundingBox())!
  t.ok(
    composerBox.y > 0 && composerBox.y + composerBox.height <= PHONE.height,
    'on a phone the composer is in view',
  )
  t.equal(
    await bob.evaluate('document.documentElement.scrollWidth'),
    PHONE.width,
    'nothing is wider than the screen',
  )
  await bob.locator('#sidebar').waitFor({ state: 'hidden' })
  t.pass('the sidebar is behind a button')
  const menu = bob.getByRole('button', { name: /Rooms and menu/ })
  await menu.click()
  await bob.locator('#sidebar').getByRole('link', { name: 'Garden' }).waitFor()
  t.ok(await bob.locator('#sidebar').isVisible(), 'which opens it')
  await bob.keyboard.press('Escape')
  await bob.locator('#sidebar').waitFor({ state: 'hidden' })
  t.ok(await focused(menu), 'Esc closes it, the focus back on the button')
  t.same(await seriousA11yViolations(bob), [], 'the phone layout: no serious accessibility violation')
  await bob.setViewportSize(DESKTOP)

  // ------------------------------------------------------------ day separators
  clock.advance(24 * 3600_000)
  await post(alice, rooms.Lobby!, 'a day later', 'tomorrow-1')
  await message(bob, 'a day later').waitFor()
  const days = await bob.locator('.messages .day').allInnerTexts()
  const tomorrow = new Date(Date.now()).toLocaleDateString('en-US', { weekday: 'long' })
  t.equal(days.length, 2, 'a day separator where the day changes')
  t.equal(days[0], 'Today', 'today')
  t.match(days[1], new RegExp(tomorrow), 'and the next day named')
  await screenshot(bob, 'room')
  t.same(await seriousA11yViolations(bob), [], 'the room: no serious accessibility violation')

  t.same(cspViolations, [], 'nothing here is refused by the Content-Security-Policy')
})
