// Integrations in the web app, in a real browser against one server on this run's backend (with
// private receivers allowed, so that one on loopback can be used). The admin creates a bot: its
// token is shown once and works; rotating it shows a new one and the old one is refused at once.
// An outgoing integration with a secret generated in the browser (a URL the server refuses is
// told in its words first) gets a message sent in the room, signed, and its delivery state shows
// the room caught up. A room webhook's URL, shown once with a curl example, posts a message that
// appears live under the hook's name; deleted, it is refused. axe-core on the page and dialogs.
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
import { Receiver } from '../helpers/receiver.ts'
import { until } from '../helpers/wait.ts'
import { serveApp, signIn } from './people.ts'

const dialog = (page: Page) => page.getByRole('dialog')

t.test('bots, outgoing integrations and room webhooks in the web app', async (t) => {
  ensureWebBuilt()
  const browser = await launchBrowser(t)
  if (!browser) return
  const base = await serveApp(t, { INTEGRATIONS_ALLOW_PRIVATE: 'true' })
  const admin = await newPerson(browser, base)
  await signIn(admin, ADMIN.username, ADMIN.password)
  const made = await admin.request.post('/api/rooms', { data: { name: 'Dock' } })
  t.equal(made.status(), 201, 'the admin opens a room')
  const dock = ((await made.json()) as { room: { id: string } }).room.id
  /** The signed-in user of a bearer token, as a program would ask: no cookie. */
  const meWith = (token: string) => fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${token}` } })

  // ------------------------------------------------------------ bots
  await admin.goto('/admin')
  await admin.getByRole('link', { name: 'Integrations' }).click()
  await admin.getByRole('heading', { name: 'Integrations', level: 1 }).waitFor()
  const bots = admin.getByRole('region', { name: 'Bots' })
  await bots.getByText('No bot yet.').waitFor()
  const newBot = bots.getByRole('form', { name: 'New bot' })
  await newBot.getByLabel('Username').fill('deploy-bot')
  await newBot.getByLabel('Display name').fill('Deploy')
  await newBot.getByRole('button', { name: 'Create bot' }).click()
  const shown = bots.getByRole('region', { name: 'Token of Deploy' })
  await shown.getByText('Deploy is created').waitFor()
  await shown.getByText('Shown only now.').waitFor()
  const first = await shown.getByLabel('Bot token').inputValue()
  t.ok(first.length >= 20, 'the token is shown')
  await bots.locator('[data-bot="deploy-bot"] .badge.bot').waitFor()
  t.equal((await meWith(first)).status, 200, 'and works')
  await bots.getByRole('button', { name: 'Rotate token of deploy-bot' }).click()
  await dialog(admin).getByRole('heading', { name: 'New token for Deploy?' }).waitFor()
  t.same(await seriousA11yViolations(admin), [], 'the rotation question: no serious accessibility violation')
  await dialog(admin).getByRole('button', { name: 'Rotate token' }).click()
  await shown.getByText('New token for Deploy').waitFor()
  const second = await shown.getByLabel('Bot token').inputValue()
  t.not(second, first, 'a new token is shown')
  t.equal((await meWith(first)).status, 401, 'the old one is refused')
  t.equal((await meWith(second)).status, 200, 'the new one works')

  // ------------------------------------------------------------ an outgoing integration
  const form = admin.getByRole('form', { name: 'New integration' })
  await form.getByRole('button', { name: 'Generate' }).click()
  const secret = await form.getByLabel('Signing secret').inputValue()
  t.match(secret, /^[0-9a-f]{64}$/, 'the secret generated is 32 random bytes in hex')
  const receiver = new Receiver(secret)
  const url = await receiver.start(t)
  await form.getByLabel('Receiver URL').fill('ftp://127.0.0.1/hook')
  await form.getByRole('button', { name: 'Create integration' }).click()
  const shown1 = form.getByRole('alert').filter({ hasText: /^Not accepted: / })

  await shown1.waitFor()
  t.ok(await shown1.isVisible(), 'a URL the server refuses is told in its words')
  await form.getByLabel('Receiver URL').fill(url)
  await form.getByLabel('Only these rooms:').check()
  await form.getByLabel('#Dock').check()
  await form.getByLabel('Pins and unpins').check()
  await form.getByRole('button', { name: 'Create integration' }).click()
  const row = admin.locator('.int-row').filter({ hasText: url })
  await row.getByText('#Dock · message, pin').waitFor()
  t.equal(
    await form.getByLabel('Signing secret').inputValue(),
    '',
    'the form is emptied: the secret is not kept',
  )
  const sent = await admin.request.post(`/api/rooms/${dock}/messages`, {
    data: { text: 'ship it', clientMsgId: 'int-1' },
  })
  const seq = ((await sent.json()) as { message: { seq: number } }).message.seq
  await until(() => receiver.seqs(dock).includes(seq), 'the message at the receiver')
  t.equal(receiver.badSignatures, 0, 'it reached the receiver, signed with the secret')
  t.equal(receiver.rooms.get(dock)?.at(-1)?.message?.text, 'ship it', 'as it was written')
  await row.getByRole('button', { name: /^Delivery/ }).click()
  const state = row.locator(`tr[data-room="${dock}"]`)
  await state.locator('.delivered', { hasText: new RegExp(`^${seq}$`) }).waitFor()
  t.equal((await state.locator('.lag').textContent())?.trim(), '0', 'the detail shows the room caught up')
  t.match(await state.textContent(), /#Dock/, 'named')
  t.same(await seriousA11yViolations(admin), [], 'the integrations page: no serious accessibility violation')
  // The toast of the creation would cover the form in the picture.
  await admin.locator('.toast').getByRole('button', { name: 'Dismiss' }).click()
  await admin.getByRole('heading', { name: 'Integrations', level: 1 }).scrollIntoViewIfNeeded()
  await screenshot(admin, 'integrations')

  // ------------------------------------------------------------ a room webhook
  await admin.goto(`/rooms/${dock}`)
  await admin.getByRole('heading', { name: 'Dock', exact: true }).waitFor()
  const hooks = admin.getByRole('region', { name: /^Webhooks/ })
  await hooks.getByLabel('Webhook name').fill('CI')
  await hooks.getByRole('button', { name: 'Create webhook' }).click()
  await dialog(admin).getByRole('heading', { name: 'Webhook CI is ready' }).waitFor()
  const hookUrl = await dialog(admin).getByLabel('Webhook URL').inputValue()
  t.match(hookUrl, new RegExp(`^${base}/hooks/`), 'the URL is shown once')
  t.match(await dialog(admin).locator('pre.curl').textContent(), hookUrl, 'with a curl example')
  t.same(await seriousA11yViolations(admin), [], 'the webhook dialog: no serious accessibility violation')
  await screenshot(admin, 'webhooks')
  await dialog(admin).getByRole('button', { name: 'Done' }).click()
  await dialog(admin).waitFor({ state: 'detached' })
  await hooks.locator('.hook-name', { hasText: 'CI' }).waitFor()
  const posted = await fetch(hookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'build 42 passed' }),
  })
  t.equal(posted.status, 201, 'a program posts to it')
  const live = admin.locator('.messages article.msg').filter({ hasText: 'build 42 passed' })
  await live.waitFor()
  t.equal(
    (await live.locator('.from').first().textContent())?.trim(),
    'CI',
    'the message appears live, under the hook’s name',
  )
  t.equal(await live.locator('.badge.bot').count(), 1, 'with the BOT badge')
  await hooks.getByRole('button', { name: 'Delete webhook CI' }).click()
  await dialog(admin).getByRole('button', { name: 'Delete webhook' }).click()
  await hooks.locator('.hook-name').first().waitFor({ state: 'detached' })
  const refused = await fetch(hookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'too late' }),
  })
  t.equal(refused.status, 404, 'deleted, its URL is refused')

  t.same(cspViolations, [], 'nothing here is refused by the Content-Security-Policy')
})
