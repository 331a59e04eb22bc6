// Search and pins in the web app, in a real browser against one server on this run's backend:
// Ctrl+K finds a Chinese message by two of its characters (an emoji before them: highlights
// count code points) and the hit opens its room scrolled to the message and marked, paging down
// to the newest and up to the beginning from there, live messages still arriving at the bottom;
// `café` finds `Cafe`; a filter narrows the results; a pin made in one person's browser appears
// live in the other's pins panel, jumps to its message, and goes at the unpin; the room's 50 pins
// are said in words; the phone layout; axe-core on the results and the pins panel.
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
import { mintCodes, openRoom, register, say, stageWithAdmin } from './people.ts'

const PASSWORD = 'correct-horse-1'
const CHINESE = '🎉 我们在聊天室见'

/** A delivered message whose own text is exactly `text`. */
const message = (page: Page, text: string): Locator =>
  page.locator('.messages article.msg:not(.pending)').filter({
    has: page.locator('.text', { hasText: new RegExp(`^${text}$`) }),
  })

/** Messages stored through the API (faster than typing them), in order. */
async function post(page: Page, room: string, texts: string[]): Promise<number[]> {
  const seqs: number[] = []
  for (const [i, text] of texts.entries()) {
    const res = await page.request.post(`/api/rooms/${room}/messages`, {
      data: { text, clientMsgId: `t${Date.now()}-${i}` },
    })
    if (res.status() !== 201) throw new Error(`posting failed: ${res.status()} ${await res.text()}`)
    seqs.push(((await res.json()) as { message: { seq: number } }).message.seq)
  }
  return seqs
}

/** Scrolls the message list to one end until `text` is shown (each end loads the next page). */
const scrollUntilShown = (page: Page, end: 'top' | 'bottom', text: string) =>
  waitForTrue(
    page,
    `(() => { const l = document.querySelector('.messages'); l.scrollTop = ${end === 'top' ? 0 : 'l.scrollHeight'};
      return [...l.querySelectorAll('article.msg .text')].some((e) => e.textContent.trim() === ${JSON.stringify(text)}) })()`,
  )

/** Runs a search from the header's box, opened with Ctrl+K. */
async function search(page: Page, words: string): Promise<void> {
  await page.keyboard.press('Control+k')
  await waitForTrue(page, `document.activeElement?.id === 'search-input'`)
  await page.keyboard.type(words)
  await page.keyboard.press('Enter')
  await page.getByRole('heading', { name: `Search for “${words}”` }).waitFor()
}
const hits = (page: Page) => page.locator('a.hit')
const roomId = (page: Page) => new URL(page.url()).pathname.split('/')[2]!
const noWiderThanScreen = (page: Page) =>
  page.evaluate('document.documentElement.scrollWidth - innerWidth') as Promise<number>

t.test('search and pins in the web app, two people in Chromium', async (t) => {
  const stage = await stageWithAdmin(t)
  if (!stage) return
  const { browser, base, admin } = stage
  const invites = await mintCodes(admin, 'invite', 2)
  const [vip] = await mintCodes(admin, 'activation', 1)
  const alice = await newPerson(browser, base)
  const bob = await newPerson(browser, base)
  await register(alice, 'alice', PASSWORD, invites[0]!)
  await register(bob, 'bob', PASSWORD, invites[1]!)
  t.equal((await alice.request.post('/api/me/vip', { data: { code: vip } })).status(), 200, 'alice is VIP')
  const rooms: Record<string, string> = {}
  for (const name of ['Garden', 'Tea']) {
    await alice.goto('/rooms')
    await alice.getByLabel('Name').fill(name)
    await alice.getByRole('button', { name: 'Create' }).click()
    await alice.getByRole('heading', { name }).waitFor()
    rooms[name] = roomId(alice)
  }
  await openRoom(bob, 'Garden')
  await openRoom(bob, 'Tea')
  const fillers = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => `filler ${from + i}`)
  await post(alice, rooms.Tea!, fillers(1, 40))
  const [chineseSeq] = await post(alice, rooms.Tea!, [CHINESE])
  await post(alice, rooms.Tea!, [...fillers(41, 100), 'Cafe opens at nine'])
  await post(alice, rooms.Garden!, ['café au lait in the garden', 'roses and tulips'])
  await bob.goto('/')
  await bob.getByRole('heading', { name: /^Hello, / }).waitFor()

  // ------------------------------------------------------------ Chinese, by two of its characters
  await search(bob, '聊天')
  await hits(bob).first().waitFor()
  t.equal(await hits(bob).count(), 1, 'one message has 聊天')
  t.equal(
    await hits(bob).locator('mark').textContent(),
    '聊天',
    'the matched characters are marked (after an emoji: code points)',
  )
  t.equal(
    (await hits(bob).locator('.hit-text').textContent())?.trim(),
    CHINESE,
    'the hit shows the whole text around the mark',
  )
  t.match(await hits(bob).locator('.from').textContent(), 'Alice', 'and its author')
  t.match(await bob.locator('.group h2').textContent(), '#Tea', 'under its room')

  // ------------------------------------------------------------ the hit opens the room at the message
  await hits(bob).click()
  await bob.getByRole('heading', { name: 'Tea', exact: true }).waitFor()
  t.match(bob.url(), new RegExp(`\\?at=${chineseSeq}$`), 'the room opens at the message')
  const target = bob.locator(`.messages article.msg[data-seq="${chineseSeq}"]`)
  await bob.locator(`.messages article.msg.flash[data-seq="${chineseSeq}"]`).waitFor()
  await waitForTrue(
    bob,
    `(() => { const m = document.querySelector('.messages article.msg[data-seq="${chineseSeq}"]').getBoundingClientRect();
      const l = document.querySelector('.messages').getBoundingClientRect(); return m.top >= l.top && m.bottom <= l.bottom })()`,
  )
  t.pass('scrolled into view and marked')
  t.equal(await message(bob, 'Cafe opens at nine').count(), 0, 'the newest messages are not on the page yet')
  await bob.getByRole('button', { name: 'Jump to the newest ↓' }).waitFor()
  await waitForTrue(bob, `!document.querySelector('.messages article.msg.flash')`)
  t.ok(await target.isVisible(), 'the mark goes after a moment, the message stays')

  // Down to the newest page by page; a live message then arrives at the bottom.
  await scrollUntilShown(bob, 'bottom', 'Cafe opens at nine')
  await bob.getByRole('button', { name: 'Jump to the newest ↓' }).waitFor({ state: 'detached' })
  await say(alice, 'live after the jump')
  await message(bob, 'live after the jump').waitFor()
  const texts = await bob.locator('.messages article.msg:not(.pending) .text').allInnerTexts()
  t.same(
    texts.slice(-3),
    ['filler 100', 'Cafe opens at nine', 'live after the jump'],
    'in order, the live one last',
  )
  const shown = texts.filter((x) => x.startsWith('filler ')).map((x) => Number(x.slice(7)))
  t.same(
    shown,
    [...shown].sort((a, b) => a - b),
    'paged down in order',
  )
  t.equal(new Set(shown).size, shown.length, 'with no message twice')
  // And up to the beginning.
  await scrollUntilShown(bob, 'top', 'filler 1')
  const all = (await bob.locator('.messages article.msg:not(.pending) .text').allInnerTexts()).filter((x) =>
    x.startsWith('filler '),
  )
  t.equal(all.length, 100, 'paging up from the message reaches the beginning, every message once')

  // ------------------------------------------------------------ accents, groups and a filter
  await search(bob, 'café')
  await hits(bob).nth(1).waitFor()
  t.same(
    (await hits(bob).locator('mark').allInnerTexts()).sort(),
    ['Cafe', 'café'],
    '`café` finds `Cafe` and `café`, each marked',
  )
  t.same((await bob.locator('.group h2 a').allInnerTexts()).sort(), ['#Garden', '#Tea'], 'grouped by room')
  t.same(await seriousA11yViolations(bob), [], 'the search results: no serious accessibility violation')
  await bob.locator('main').focus()
  await screenshot(bob, 'search')
  await bob.getByLabel('Room', { exact: true }).selectOption({ label: '#Garden' })
  await waitForTrue(bob, `document.querySelectorAll('a.hit').length === 1`)
  t.match(await hits(bob).textContent(), 'café au lait', 'the room filter keeps the Garden one')
  t.match(bob.url(), `room=${rooms.Garden}`, 'kept in the address')
  await bob.getByLabel('Has a file').check()
  await bob.getByText('No message matches “café” with these filters.').waitFor()
  t.pass('no message with a file: the page says so')
  await bob.getByRole('button', { name: 'Clear filters' }).click()
  await hits(bob).nth(1).waitFor()

  // ------------------------------------------------------------ pins, live from one to the other
  await alice.bringToFront()
  await say(alice, 'pin me please')
  await bob.goto(`/rooms/${rooms.Tea}`)
  await bob.getByRole('heading', { name: 'Tea', exact: true }).waitFor()
  await message(bob, 'pin me please').waitFor()
  await bob.getByText('Nothing pinned yet.').waitFor()
  t.equal(
    await message(bob, 'pin me please').getByRole('button', { name: 'Pin', exact: true }).count(),
    0,
    'bob, neither the creator nor an admin, has no Pin',
  )
  await message(alice, 'pin me please').getByRole('button', { name: 'Pin', exact: true }).click()
  const bobPin = bob.locator('#room-pins li[data-pin]')
  await bobPin.filter({ hasText: 'pin me please' }).waitFor()
  t.match(
    await bobPin.textContent(),
    /Pinned by Alice/,
    'the pin shows live in bob’s panel, naming who pinned it',
  )
  await message(bob, 'pin me please').locator('.pinned-mark').waitFor()
  t.pass('and the message says it is pinned')
  await message(alice, 'pin me please').getByRole('button', { name: 'Unpin', exact: true }).waitFor()
  t.same(await seriousA11yViolations(bob), [], 'the pins panel: no serious accessibility violation')
  await screenshot(bob, 'pins')

  // A click on a pin jumps to its message, as a search hit does.
  await scrollUntilShown(bob, 'top', 'filler 1')
  await bobPin.getByRole('button').first().click()
  const pinned = bob.locator('.messages article.msg.flash').filter({ hasText: 'pin me please' })
  await pinned.waitFor()
  t.pass('a pin clicked opens the room at its message, marked')

  await message(alice, 'pin me please').getByRole('button', { name: 'Unpin', exact: true }).click()
  await bobPin.waitFor({ state: 'detached' })
  await bob.getByText('Nothing pinned yet.').waitFor()
  t.pass('the unpin removes it from bob’s panel live')

  // ------------------------------------------------------------ the room's 50 pins, in words
  const tea = await alice.request.get(`/api/rooms/${rooms.Tea}/messages?limit=60`)
  const recent = ((await tea.json()) as { items: { seq: number; text: string }[] }).items.filter((m) =>
    m.text.startsWith('filler '),
  )
  const statuses = new Set<number>()
  for (const m of recent.slice(0, 50))
    statuses.add((await alice.request.put(`/api/rooms/${rooms.Tea}/pins/${m.seq}`)).status())
  t.same([...statuses], [204], '50 pins in the room')
  await alice.locator('#room-pins li[data-pin]').nth(49).waitFor()
  await message(alice, 'pin me please').getByRole('button', { name: 'Pin', exact: true }).click()
  await alice
    .getByRole('alert')
    .filter({ hasText: 'This room has 50 pinned messages, as many as it can hold: unpin one first.' })
    .waitFor()
  t.pass('the 51st pin is refused in words')

  // ------------------------------------------------------------ the phone
  await bob.setViewportSize(PHONE)
  await bob.getByRole('button', { name: /Pins/ }).click()
  await bob.locator('#room-pins li[data-pin]').first().waitFor()
  t.ok(await bob.locator('#room-pins').isVisible(), 'on a phone the pins open in the drawer')
  t.ok((await noWiderThanScreen(bob)) <= 0, 'nothing wider than the screen in the room')
  await bob.keyboard.press('Escape')
  t.ok(
    await bob.getByRole('searchbox', { name: 'Search messages' }).isVisible(),
    'the search box is in the header',
  )
  await search(bob, '聊天')
  await hits(bob).first().waitFor()
  t.ok(await bob.getByLabel('Room', { exact: true }).isVisible(), 'with its filters')
  t.ok((await noWiderThanScreen(bob)) <= 0, 'nothing wider than the screen on the results')
  t.same(await seriousA11yViolations(bob), [], 'the results on a phone: no serious accessibility violation')
  await hits(bob).click()
  await bob.locator(`.messages article.msg.flash[data-seq="${chineseSeq}"]`).waitFor()
  t.pass('a hit opens the room at the message on a phone too')
  await bob.setViewportSize(DESKTOP)

  t.same(cspViolations, [], 'nothing the app does is refused by its Content-Security-Policy')
})
