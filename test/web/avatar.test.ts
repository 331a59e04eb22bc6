// An uploaded avatar in the web app: chosen in the personal centre (previewed, uploaded), then
// shown in place of the initials in a message row and the member list another person sees; a
// picture that no longer loads falls back to the initials.
import type { Locator, Page } from 'playwright-core'
import sharp from 'sharp'
import t from 'tap'
import { newPerson, screenshot, waitForTrue } from '../helpers/browser.ts'
import { mintCodes, openRoom, register, say, stageWithAdmin } from './people.ts'

const PASSWORD = 'correct-horse-1'

const message = (page: Page, text: string): Locator =>
  page
    .locator('.messages article.msg:not(.pending)')
    .filter({ has: page.locator('.text', { hasText: text }) })

/** Whether the first picture a locator finds has loaded, at the width given. */
const loaded = (l: Locator) =>
  l.evaluate((img) => {
    const i = img as unknown as { complete: boolean; naturalWidth: number }
    return i.complete ? i.naturalWidth : 0
  })

t.test('an avatar uploaded in the personal centre shows in messages and members', async (t) => {
  const stage = await stageWithAdmin(t)
  if (!stage) return
  const { browser, base, admin } = stage
  const invites = await mintCodes(admin, 'invite', 2)
  const [vip] = await mintCodes(admin, 'activation', 1)
  const alice = await newPerson(browser, base)
  const bob = await newPerson(browser, base)
  await register(alice, 'alice', PASSWORD, invites[0]!)
  await register(bob, 'bob', PASSWORD, invites[1]!)
  t.equal((await alice.request.post('/api/me/vip', { data: { code: vip } })).status(), 200)
  await alice.goto('/rooms')
  await alice.getByLabel('Name').fill('Faces')
  await alice.getByRole('button', { name: 'Create' }).click()
  await alice.getByRole('heading', { name: 'Faces' }).waitFor()
  await openRoom(bob, 'Faces')

  // ------------------------------------------------------------ chosen, previewed, uploaded
  await alice.goto('/me')
  const picture = await sharp({ create: { width: 600, height: 400, channels: 3, background: '#e07b39' } })
    .composite([
      {
        input: await sharp({ create: { width: 200, height: 200, channels: 3, background: '#1d4e89' } })
          .png()
          .toBuffer(),
        left: 200,
        top: 100,
      },
    ])
    .jpeg()
    .toBuffer()
  await alice
    .getByLabel(/^Picture/)
    .setInputFiles({ name: 'me.jpg', mimeType: 'image/jpeg', buffer: picture })
  const preview = alice.getByRole('img', { name: 'The picture chosen' })
  await preview.waitFor()
  await waitForTrue(alice, `document.querySelector('.avatar-preview')?.naturalWidth === 600`)
  await alice.getByRole('button', { name: 'Upload avatar' }).click()
  await alice.getByRole('status').filter({ hasText: 'Avatar saved.' }).waitFor()
  t.equal(await preview.count(), 0, 'the preview gives way to the avatar')
  const own = alice.locator('img.avatar').first()
  await waitForTrue(alice, `document.querySelector('img.avatar')?.naturalWidth === 256`)
  t.match(await own.getAttribute('src'), /^\/api\/users\/[0-9a-f]{24}\/avatar\?v=[0-9a-f]{24}$/)

  // ------------------------------------------------------------ seen by bob
  await alice.goto('/rooms')
  await alice.locator('nav').getByRole('link', { name: 'Faces', exact: true }).first().click()
  await alice.getByRole('heading', { name: 'Faces' }).waitFor()
  await say(alice, 'a new face')
  const row = message(bob, 'a new face')
  await row.waitFor()
  const inRow = row.locator('img.avatar')
  await inRow.waitFor()
  await t.resolveMatch(
    (async () => {
      await waitForTrue(
        bob,
        `[...document.querySelectorAll('.messages img.avatar')].some((i) => i.naturalWidth === 256)`,
      )
      return loaded(inRow)
    })(),
    256,
    'the picture is shown in the message row, loaded',
  )
  t.equal(await row.locator('span.avatar').count(), 0, 'no initials beside it')
  await bob.reload()
  await bob.getByRole('heading', { name: 'Faces' }).waitFor()
  const member = bob.locator('.members img.avatar, aside img.avatar').first()
  await member.waitFor()
  await screenshot(bob, 'avatar')

  // ------------------------------------------------------------ removed: initials, also where the old picture was
  await alice.goto('/me')
  await alice.getByRole('button', { name: 'Remove avatar' }).click()
  await alice.getByRole('status').filter({ hasText: 'Avatar removed' }).waitFor()
  t.equal(await alice.locator('main img.avatar').count(), 0, 'initials in the personal centre')
  await alice.locator('nav').getByRole('link', { name: 'Faces', exact: true }).first().click()
  await alice.getByRole('heading', { name: 'Faces' }).waitFor()
  await say(alice, 'plain again')
  const plain = message(bob, 'plain again')
  await plain.waitFor()
  // Grouped under the earlier message unless the author changed: the row to look at is the first.
  t.equal(
    await message(bob, 'a new face').locator('img.avatar').count(),
    1,
    'the earlier row keeps its picture',
  )
  // A picture that does not load (here refused on the way; routing also bypasses the cache).
  await bob.route('**/avatar?v=*', (route) => route.fulfill({ status: 404, body: '' }))
  await bob.reload()
  const old = message(bob, 'a new face')
  await old.locator('span.avatar').waitFor()
  t.equal(
    await old.locator('img.avatar').count(),
    0,
    'a picture that fails to load falls back to the initials',
  )
})
