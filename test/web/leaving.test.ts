// Leaving with one's data, in a real browser against one server on this run's backend. Alice
// downloads her data from the personal centre (a zip; the second download of the day is refused
// in words), then deletes her account: a wrong password is told at its field, the right one
// signs her out onto a page that says the account is gone, and signing in again is refused. Bob,
// who shared a room with her, sees her message from "deleted user" with a neutral avatar, and her
// page says the account was deleted. The last admin is told to name another admin first. axe-core
// on the pages and the dialog.
import { readFileSync } from 'node:fs'
import type { Page } from 'playwright-core'
import t from 'tap'
import { ADMIN } from '../helpers/app.ts'
import {
  cspViolations,
  ensureWebBuilt,
  launchBrowser,
  newPerson,
  screenshot,
  seriousA11yViolations,
} from '../helpers/browser.ts'
import { mintCodes, openRoom, register, serveApp, signIn } from './people.ts'

const PASSWORD = 'correct-horse-1'
const dialog = (page: Page) => page.getByRole('dialog')

async function idOf(page: Page): Promise<string> {
  return ((await (await page.request.get('/api/me')).json()) as { user: { id: string } }).user.id
}

t.test('download my data and delete my account in the web app', async (t) => {
  ensureWebBuilt()
  const browser = await launchBrowser(t)
  if (!browser) return
  const base = await serveApp(t, { RATE_EXPORTS_PER_DAY: '1' })
  const admin = await newPerson(browser, base)
  await signIn(admin, ADMIN.username, ADMIN.password)
  const invites = await mintCodes(admin, 'invite', 2)
  const made = await admin.request.post('/api/rooms', { data: { name: 'Porch' } })
  t.equal(made.status(), 201, 'the admin opens a room')
  const porch = ((await made.json()) as { room: { id: string } }).room.id
  const alice = await newPerson(browser, base)
  const bob = await newPerson(browser, base)
  await register(alice, 'alice', PASSWORD, invites[0]!)
  await register(bob, 'bob', PASSWORD, invites[1]!)
  const aliceId = await idOf(alice)
  await openRoom(alice, 'Porch')
  await openRoom(bob, 'Porch')
  const said = await alice.request.post(`/api/rooms/${porch}/messages`, {
    data: { text: 'so long and thanks', clientMsgId: 'leaving-1' },
  })
  t.equal(said.status(), 201, 'alice says goodbye')

  // ------------------------------------------------------------ download my data
  await alice.goto('/me')
  const data = alice.getByRole('region', { name: 'Your data' })
  const [answer, download] = await Promise.all([
    alice.waitForResponse((r) => new URL(r.url()).pathname === '/api/me/export'),
    alice.waitForEvent('download'),
    data.getByRole('button', { name: 'Download my data' }).click(),
  ])
  t.equal(answer.status(), 200, 'the export is answered')
  t.match(answer.headers()['content-type'], /^application\/zip/, 'as a zip')
  const bytes = readFileSync(await download.path())
  t.equal(bytes.subarray(0, 2).toString('latin1'), 'PK', 'whose bytes are a zip’s')
  t.match(
    download.suggestedFilename(),
    /^roomchat-export-alice-\d{4}-\d{2}-\d{2}\.zip$/,
    'saved under its name',
  )
  await data.getByRole('status').filter({ hasText: 'Saved as roomchat-export-alice' }).waitFor()
  await data.getByRole('button', { name: 'Download my data' }).click()
  const shown1 = data
    .getByRole('alert')
    .filter({ hasText: /downloaded your data as often as a day allows\. Try again in \d+/ })

  await shown1.waitFor()
  t.ok(await shown1.isVisible(), 'the second download of the day is refused in words')

  // ------------------------------------------------------------ delete: a wrong password, then the right one
  const zone = alice.getByRole('region', { name: 'Delete account' })
  await zone.getByText('never given to anyone else').waitFor()
  await zone.getByRole('button', { name: 'Delete my account…' }).click()
  const ask = dialog(alice)
  await ask.getByRole('heading', { name: 'Delete your account?' }).waitFor()
  t.ok(
    await alice.evaluate('document.activeElement?.id === "del-password"'),
    'the dialog focuses the password',
  )
  const go = ask.getByRole('button', { name: 'Delete my account' })
  await ask.getByLabel('Password').fill('not-my-password')
  t.ok(await go.isDisabled(), 'nothing is deleted before the username is typed')
  await ask.getByLabel(/Type your username/).fill('alice')
  t.same(await seriousA11yViolations(alice), [], 'the deletion dialog: no serious accessibility violation')
  await screenshot(alice, 'delete-account')
  await go.click()
  await ask.getByRole('alert').filter({ hasText: 'That is not your password.' }).waitFor()
  t.equal(await ask.getByLabel('Password').getAttribute('aria-invalid'), 'true', 'told at the password')
  await ask.getByLabel('Password').fill(PASSWORD)
  await go.click()
  await alice.getByText('Your account was deleted.').waitFor()
  t.equal(new URL(alice.url()).pathname, '/login', 'signed out, on the sign-in page')
  t.same(await seriousA11yViolations(alice), [], 'the notice: no serious accessibility violation')
  t.equal((await alice.request.get('/api/me')).status(), 401, 'the session is gone')
  await alice.getByLabel('Username').fill('alice')
  await alice.getByLabel('Password').fill(PASSWORD)
  await alice.getByRole('button', { name: 'Sign in', exact: true }).last().click()
  await alice
    .locator('#err-password, #err-username')
    .filter({ hasText: 'Wrong username or password.' })
    .waitFor()
  t.equal(new URL(alice.url()).pathname, '/login', 'signing in again is refused')

  // ------------------------------------------------------------ what others see
  await bob.reload()
  const left = bob.locator('.messages article.msg').filter({ hasText: 'so long and thanks' })
  await left.waitFor()
  t.equal(
    (await left.locator('.from').first().textContent())?.trim(),
    'deleted user',
    'her message is from “deleted user”',
  )
  t.equal(await left.locator('[data-deleted="true"]').count(), 1, 'with the neutral avatar')
  t.equal(await left.locator('img').count(), 0, 'and no picture')
  t.equal(await left.getByRole('link', { name: 'deleted user' }).count(), 0, 'and no link to a profile')
  await bob.goto(`/users/${aliceId}`)
  await bob.getByText('This account was deleted by its owner.').waitFor()
  t.equal(
    await bob.getByRole('button', { name: 'Send a direct message' }).count(),
    0,
    'her page offers nothing',
  )
  t.same(await seriousA11yViolations(bob), [], 'a deleted user’s page: no serious accessibility violation')

  // ------------------------------------------------------------ the last admin
  await admin.goto('/me')
  await admin.getByRole('button', { name: 'Delete my account…' }).click()
  await dialog(admin).getByLabel('Password').fill(ADMIN.password)
  await dialog(admin)
    .getByLabel(/Type your username/)
    .fill(ADMIN.username)
  await dialog(admin).getByRole('button', { name: 'Delete my account' }).click()
  await dialog(admin).getByRole('alert').filter({ hasText: 'You are the last admin' }).waitFor()
  t.equal((await admin.request.get('/api/me')).status(), 200, 'and stays signed in')
  await dialog(admin).getByRole('button', { name: 'Cancel' }).click()
  await dialog(admin).waitFor({ state: 'detached' })

  t.same(cspViolations, [], 'nothing here is refused by the Content-Security-Policy')
})
