// Conversations in the web app, in a real browser against one server on this run's backend:
// two people in browser contexts of their own reply, mention, edit, delete and react in a room
// and each sees the other's changes live; unread badges appear while one is elsewhere and clear
// (in another tab too) when the room is read; a direct conversation is opened from a person's
// page; the room's owner mutes (the muted one is told why a send is refused) and kicks.

import type { Locator, Page } from 'playwright-core'
import t from 'tap'
import { cspViolations, newPerson, screenshot, seriousA11yViolations } from '../helpers/browser.ts'
import { mintCodes, openRoom, register, say, stageWithAdmin } from './people.ts'

const PASSWORD = 'correct-horse-1'

/** The delivered message whose own text is exactly `text` (not a reply quoting it). */
const message = (page: Page, text: string): Locator =>
  page.locator('.messages article.msg:not(.pending)').filter({
    has: page.locator('.text', { hasText: new RegExp(`^${text.replace(/[.?*+()[\]]/g, '\\$&')}$`) }),
  })

/** A room's line in the room list. */
const roomLine = (page: Page, name: string): Locator =>
  page.locator('li[data-room]').filter({ has: page.getByRole('link', { name, exact: true }) })

t.test('conversations in the web app, two people in Chromium', async (t) => {
  const stage = await stageWithAdmin(t)
  if (!stage) return
  const { browser, base, admin } = stage
  const invites = await mintCodes(admin, 'invite', 2)
  const [vip] = await mintCodes(admin, 'activation', 1)
  const alice = await newPerson(browser, base)
  const bob = await newPerson(browser, base)
  await register(alice, 'alice', PASSWORD, invites[0]!)
  await register(bob, 'bob', PASSWORD, invites[1]!)
  const redeemed = await alice.request.post('/api/me/vip', { data: { code: vip } })
  t.equal(redeemed.status(), 200, 'alice is VIP')
  await alice.goto('/rooms')
  await alice.getByLabel('Name').fill('Tea')
  await alice.getByRole('button', { name: 'Create' }).click()
  await alice.getByRole('heading', { name: 'Tea' }).waitFor()
  await openRoom(bob, 'Tea')
  // The window in front is the one looked at: a room is read only while its page is visible.
  await bob.bringToFront()

  // ------------------------------------------------------------ reply and mention
  await say(alice, 'first message')
  await message(bob, 'first message').waitFor()
  await message(bob, 'first message').getByRole('button', { name: 'Reply' }).click()
  await bob.getByText('Replying to Alice').waitFor()
  await say(bob, 'a reply to you @alice')
  const reply = message(alice, 'a reply to you @alice')
  await reply.waitFor()
  t.equal(
    (await reply.locator('.quote').textContent())?.trim(),
    'Alice first message',
    'the reply quotes the message',
  )
  t.equal(
    (await reply.locator('strong.mention.me').textContent())?.trim(),
    '@alice',
    'the mention of alice stands out to her',
  )
  t.match((await reply.getAttribute('class')) ?? '', /mentioned/, 'and so does the message naming her')

  // ------------------------------------------------------------ edit
  await message(alice, 'first message').getByRole('button', { name: 'Edit' }).click()
  await alice.getByLabel('Edit message').fill('first message, fixed')
  await alice.getByRole('button', { name: 'Save' }).click()
  const edited = message(bob, 'first message, fixed')
  await edited.waitFor()
  t.equal(
    (await edited.locator('.edited').textContent())?.trim(),
    '(edited)',
    'bob sees the edit live, marked edited',
  )
  t.equal(await message(bob, 'first message').count(), 0, 'and the old text is gone')

  // ------------------------------------------------------------ reactions
  await edited.getByRole('button', { name: 'React', exact: true }).click()
  await edited.getByRole('button', { name: 'thumbs up 👍' }).click()
  const aliceThumb = message(alice, 'first message, fixed').getByRole('button', { name: /^👍 1, add mine/ })
  await aliceThumb.waitFor()
  t.equal(await aliceThumb.getAttribute('aria-pressed'), 'false', "alice sees bob's 👍, not hers")
  await edited.getByRole('button', { name: /^👍 1, take mine back/ }).waitFor()
  await aliceThumb.click()
  await edited.getByRole('button', { name: /^👍 2, take mine back/ }).waitFor()
  const aliceTwo = message(alice, 'first message, fixed').getByRole('button', {
    name: /^👍 2, take mine back/,
  })
  await aliceTwo.waitFor()
  t.equal(await aliceTwo.getAttribute('aria-pressed'), 'true', 'both reacted: 2, hers highlighted for her')
  await edited.getByRole('button', { name: /^👍 2/ }).click()
  const aliceLeft = message(alice, 'first message, fixed').getByRole('button', {
    name: /^👍 1, take mine back/,
  })
  await aliceLeft.waitFor()
  t.equal(await aliceLeft.getAttribute('aria-pressed'), 'true', 'bob takes his back: 1 left, still alice’s')
  const bobLeft = edited.getByRole('button', { name: /^👍 1, add mine/ })
  await bobLeft.waitFor()
  t.equal(await bobLeft.getAttribute('aria-pressed'), 'false', 'and no longer bob’s on his screen')

  // ------------------------------------------------------------ delete
  await say(alice, 'oops, wrong room')
  await message(bob, 'oops, wrong room').waitFor()
  await message(alice, 'oops, wrong room').getByRole('button', { name: 'Delete' }).click()
  await message(alice, 'oops, wrong room').getByRole('button', { name: 'Yes, delete' }).click()
  await bob.locator('.messages .tombstone').waitFor()
  t.equal(
    await bob.locator('.messages').getByText('oops, wrong room').count(),
    0,
    'a deleted message is gone for bob',
  )
  t.equal(
    (await bob.locator('.messages .tombstone').textContent())?.trim(),
    'This message was deleted.',
    'and a tombstone shows where it was',
  )
  await screenshot(alice, 'conversation')
  t.same(await seriousA11yViolations(alice), [], 'a conversation: no serious accessibility violation')

  // ------------------------------------------------------------ unread badges
  await bob.goto('/rooms')
  await roomLine(bob, 'Tea').waitFor()
  const bobTab2 = await bob.context().newPage()
  await bobTab2.goto(`${base}/rooms`)
  await roomLine(bobTab2, 'Tea').waitFor()
  await say(alice, 'are you there @bob?')
  await say(alice, 'second unread')
  const badge = roomLine(bob, 'Tea').locator('.badge.unread')
  await badge.filter({ hasText: '2 unread' }).waitFor()
  t.equal(
    (await badge.textContent())?.trim(),
    '2 unread',
    'bob, on the room list, sees 2 unread in Tea, live',
  )
  t.equal(
    (await roomLine(bob, 'Tea').locator('.badge.mention').textContent())?.trim(),
    '1 @',
    'one of them names him',
  )
  await roomLine(bobTab2, 'Tea').locator('.badge.unread').filter({ hasText: '2 unread' }).waitFor()
  await screenshot(bobTab2, 'rooms-unread')
  t.same(
    await seriousA11yViolations(bobTab2),
    [],
    'room list with badges: no serious accessibility violation',
  )
  await bob.bringToFront()
  await roomLine(bob, 'Tea').getByRole('link', { name: 'Tea' }).click()
  await message(bob, 'second unread').waitFor()
  await roomLine(bobTab2, 'Tea').locator('.badge').first().waitFor({ state: 'detached' })
  t.equal(
    await roomLine(bobTab2, 'Tea').locator('.badge').count(),
    0,
    'opening the room reads it: the badge clears in his other tab too',
  )
  await bobTab2.close()

  // ------------------------------------------------------------ a direct conversation
  await bob.goto('/users')
  await bob.getByLabel('Search people').fill('ali')
  await bob.getByRole('link', { name: 'Alice' }).click()
  await bob.getByRole('button', { name: 'Send a direct message' }).click()
  await bob.getByRole('heading', { name: 'Alice (direct)' }).waitFor()
  await say(bob, 'just between us')
  await message(bob, 'just between us').waitFor()
  await alice.goto('/rooms')
  const direct = alice.getByRole('region', { name: 'Direct messages' })
  await direct.getByRole('link', { name: 'Bob' }).waitFor()
  t.equal(
    (await direct.locator('.badge.unread').textContent())?.trim(),
    '1 unread',
    'alice sees the direct conversation apart, unread',
  )
  t.equal(await roomLine(alice, 'Bob').count(), 1, 'listed once')
  await alice.bringToFront()
  await direct.getByRole('link', { name: 'Bob' }).click()
  await alice.getByRole('heading', { name: 'Bob (direct)' }).waitFor()
  await message(alice, 'just between us').waitFor()
  await say(alice, 'ok, privately')
  await message(bob, 'ok, privately').waitFor()
  t.equal(await message(bob, 'ok, privately').count(), 1, 'a direct conversation both ways, live, once')
  // Shown is read: the marker moves without anyone asking, so the server counts nothing unread.
  const dmId = new URL(alice.url()).pathname.split('/').at(-1)
  const unreadRooms = async () =>
    ((await (await alice.request.get('/api/me/unread')).json()) as { items: { room: string }[] }).items.map(
      (i) => i.room,
    )
  for (let i = 0; i < 50 && (await unreadRooms()).includes(dmId!); i++) await alice.waitForTimeout(100)
  t.notOk((await unreadRooms()).includes(dmId!), 'the direct conversation is read once it was shown')
  await screenshot(alice, 'direct')
  t.same(await seriousA11yViolations(alice), [], 'a direct room: no serious accessibility violation')

  // ------------------------------------------------------------ moderation: mute, then kick
  await openRoom(alice, 'Tea')
  await openRoom(bob, 'Tea')
  await alice.getByText(/^Members and moderation/).click()
  await alice.getByLabel('Mute Bob for').selectOption({ label: '10 minutes' })
  await alice.getByRole('button', { name: 'Mute Bob' }).click()
  await alice.getByRole('status').filter({ hasText: 'Bob is muted for 10 minutes.' }).waitFor()
  await screenshot(alice, 'moderation')
  t.same(await seriousA11yViolations(alice), [], 'moderation: no serious accessibility violation')
  await say(bob, 'can I still talk?')
  const refused = bob.locator('[data-pending=failed]')
  await refused.waitFor()
  t.match(
    (await refused.textContent())?.trim(),
    /You are muted in this room/,
    'a muted member is told why the send was refused',
  )
  await alice.getByLabel('Mute Bob for').selectOption({ label: 'no longer (lift)' })
  await alice.getByRole('button', { name: 'Mute Bob' }).click()
  await alice.getByRole('status').filter({ hasText: 'Bob may write again.' }).waitFor()
  await refused.getByRole('button', { name: 'Retry' }).click()
  await message(alice, 'can I still talk?').waitFor()
  t.equal(
    await message(alice, 'can I still talk?').count(),
    1,
    'once the mute is lifted, the retried message arrives, once',
  )
  await alice.getByRole('button', { name: 'Kick Bob' }).click()
  await bob.getByText('A moderator removed you from this room.').waitFor()
  t.ok(
    await bob.getByRole('textbox', { name: 'Message' }).isDisabled(),
    'a kicked member sees why and can no longer write',
  )
  await alice
    .getByRole('status')
    .filter({ hasText: 'Bob was removed from the room and may not come back for 10 minutes.' })
    .waitFor()

  t.same(cspViolations, [], 'nothing here is refused by the Content-Security-Policy')
})
