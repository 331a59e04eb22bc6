// Notifications in the web app, in a real browser against one server on this run's backend, a
// push service on loopback (test/helpers/push-service.ts: VAPID checked, payloads decrypted) and
// a real SMTP server (test/helpers/smtp.ts):
// - the service worker (/sw.js, revalidated, never cached for a year) registers;
// - the prompt is not shown at first load, shows when a mention arrives, "Not now" is remembered;
// - "Enable" subscribes with the server's key; a mention while the person's app is closed goes
//   from the server through the push service (decrypted there) and, delivered to the service
//   worker through the DevTools protocol, shows one notification tagged by room; its click brings
//   the open window to the room at the message;
// - the settings (push here, mail mode, a room's level, also from the room's bell) round-trip;
// - a mail address verified from its mailed link (after "send the link again");
// - forgot → mail → reset page → signed in with the new password, the old session revoked.
// Chromium headless has no push service to subscribe with, so the page's PushManager hands out
// the loopback service's subscription (an init script): everything after it is real.

import { randomUUID } from 'node:crypto'
import type { Page } from 'playwright-core'
import t from 'tap'
import webpush from 'web-push'
import { ADMIN } from '../helpers/app.ts'
import {
  cspViolations,
  ensureWebBuilt,
  launchBrowser,
  newPerson,
  screenshot,
  seriousA11yViolations,
  waitForTrue,
} from '../helpers/browser.ts'
import { type BrowserSubscription, PushService } from '../helpers/push-service.ts'
import { SmtpSink } from '../helpers/smtp.ts'
import { until } from '../helpers/wait.ts'
import { mintCodes, register, serveApp, signIn } from './people.ts'

const PASSWORD = 'correct-horse-1'
const NEW_PASSWORD = 'battery-staple-2'

/** The page's PushManager hands out `sub` (what a browser's push service would have made). Runs in the page. */
function fakePushManager(sub: BrowserSubscription) {
  // The page's own globals (this file is type-checked without the DOM's types).
  const page = globalThis as any
  const KEY = 'test.push.key'
  const make = () => ({
    endpoint: sub.endpoint,
    toJSON: () => ({ endpoint: sub.endpoint, expirationTime: null, keys: sub.keys }),
    unsubscribe: async () => {
      page.localStorage.removeItem(KEY)
      return true
    },
  })
  page.PushManager.prototype.subscribe = async (options?: {
    applicationServerKey?: unknown
    userVisibleOnly?: boolean
  }) => {
    const key = options?.applicationServerKey
    if (typeof key !== 'string' || !options?.userVisibleOnly)
      throw new Error('subscribe: no key or not user-visible')
    page.localStorage.setItem(KEY, key)
    return make()
  }
  page.PushManager.prototype.getSubscription = async () => (page.localStorage.getItem(KEY) ? make() : null)
}

/** Runs in the service worker: a click on its (one) notification, as the browser dispatches it. */
async function clickTheNotification() {
  const scope = globalThis as any
  const [notification] = await scope.registration.getNotifications()
  const event = new scope.NotificationEvent('notificationclick', { notification })
  // A script-made event refuses waitUntil: its promise is kept here instead, and awaited.
  const kept: Promise<unknown>[] = []
  Object.defineProperty(event, 'waitUntil', { value: (p: Promise<unknown>) => kept.push(p) })
  scope.dispatchEvent(event)
  await Promise.all(kept)
}

const post = async (page: Page, path: string, data: object) => {
  const res = await page.request.post(path, { data })
  if (!res.ok()) throw new Error(`${path}: ${res.status()} ${await res.text()}`)
  return res.json()
}
const say = (page: Page, room: string, text: string) =>
  post(page, `/api/rooms/${room}/messages`, { text, clientMsgId: randomUUID() }).then(
    (b) => b.message as { seq: number },
  )
const prompt = (page: Page) => page.getByRole('region', { name: 'Notifications' })
const linkPath = (link: string | null) => {
  const u = new URL(link ?? 'http://missing.invalid/')
  return u.pathname + u.search
}

t.test('notifications in the web app, in Chromium', async (t) => {
  ensureWebBuilt()
  const browser = await launchBrowser(t)
  if (!browser) return
  const service = new PushService()
  await service.start()
  t.teardown(() => service.stop())
  const smtp = new SmtpSink()
  await smtp.start()
  t.teardown(() => smtp.stop())
  const vapid = webpush.generateVAPIDKeys()
  service.setVapidKey(vapid.publicKey)
  const base = await serveApp(t, {
    PUSH_ALLOW_HTTP: 'true',
    NOTIFY_DELAY_SECONDS: '1',
    VAPID_PUBLIC_KEY: vapid.publicKey,
    VAPID_PRIVATE_KEY: vapid.privateKey,
    VAPID_SUBJECT: 'mailto:ops@example.org',
    SMTP_URL: smtp.url,
    MAIL_FROM: 'Roomchat <chat@example.org>',
  })
  const admin = await newPerson(browser, base)
  await signIn(admin, ADMIN.username, ADMIN.password)
  const invites = await mintCodes(admin, 'invite', 3)

  // ------------------------------------------------------------ the service worker's script
  const sw = await admin.request.get('/sw.js')
  t.equal(sw.status(), 200, '/sw.js is served at the root (its scope covers the app)')
  t.equal(sw.headers()['cache-control'], 'no-cache', 'and revalidated on every load, never immutable')
  t.match(sw.headers()['content-type'], /javascript/, 'as a script')

  const sub = service.subscription()
  const bob = await newPerson(browser, base)
  await bob.context().grantPermissions(['notifications'], { origin: base })
  await bob.context().addInitScript(fakePushManager, sub)
  const carol = await newPerson(browser, base)
  await carol.context().grantPermissions(['notifications'], { origin: base })
  const alice = await newPerson(browser, base)
  await register(alice, 'alice', PASSWORD, invites[0]!)
  await register(bob, 'bob', PASSWORD, invites[1]!)
  await register(carol, 'carol', PASSWORD, invites[2]!)
  const room = (await post(admin, '/api/rooms', { name: 'Tea' })).room.id as string
  for (const p of [alice, bob, carol]) await post(p, `/api/rooms/${room}/join`, {})

  await waitForTrue(bob, 'navigator.serviceWorker.getRegistration("/").then((r) => !!r?.active)')
  t.equal(
    await bob.evaluate('navigator.serviceWorker.getRegistration("/").then((r) => r.scope)'),
    `${base}/`,
    'the service worker registers at sign-in, for the whole app',
  )

  // ------------------------------------------------------------ the prompt
  for (const p of [bob, carol]) {
    await p.goto(`/rooms/${room}`)
    await p.getByRole('heading', { name: 'Tea', exact: true }).waitFor()
    await p
      .locator('.presence')
      .filter({ hasText: /Online \([1-9]/ })
      .waitFor()
  }
  await say(alice, room, 'good morning, everyone')
  await bob.getByText('good morning, everyone').waitFor()
  t.equal(await prompt(bob).count(), 0, 'no prompt at first load, nor for a message not about bob')
  await say(alice, room, 'tea at four, @bob?')
  await prompt(bob).getByText('Get notified when someone mentions you?').waitFor()
  t.pass('a mention of bob while the page is open brings the prompt')
  t.same(await seriousA11yViolations(bob), [], 'the prompt: no serious accessibility violation')

  await say(alice, room, 'you too @carol')
  await prompt(carol).getByRole('button', { name: 'Not now' }).click()
  await prompt(carol).waitFor({ state: 'detached' })
  await carol.reload()
  await carol
    .locator('.presence')
    .filter({ hasText: /Online \([1-9]/ })
    .waitFor()
  await say(alice, room, 'still there, @carol?')
  await carol.getByText('still there, @carol?').waitFor()
  t.equal(await prompt(carol).count(), 0, '"Not now" is remembered: no prompt at the next mention')

  await prompt(bob).getByRole('button', { name: 'Enable' }).click()
  await prompt(bob).waitFor({ state: 'detached' })
  t.equal(
    await bob.evaluate('localStorage.getItem("test.push.key")'),
    vapid.publicKey,
    'Enable subscribes with the key of GET /api/push/key',
  )
  const subscriptionId = (await bob.evaluate('localStorage.getItem("roomchat.push.subscription")')) as string
  t.ok(subscriptionId, 'and the server stored the subscription')

  // ------------------------------------------------------------ a push, for real
  // Bob's app closed: no socket of his follows the room, so the mention is pushed.
  await bob.goto('about:blank')
  const mention = await say(alice, room, 'the cake is here @bob 🍰')
  await until(
    () => service.of(sub.id).some((r) => r.payload.seq === mention.seq),
    () => `a push for seq ${mention.seq}: ${JSON.stringify(service.received)}; refused ${service.refused}`,
    20_000,
  )
  const payload = service.of(sub.id).find((r) => r.payload.seq === mention.seq)!.payload
  t.match(
    payload,
    { room, seq: mention.seq, from: { displayName: 'Alice' }, url: `/rooms/${room}?seq=${mention.seq}` },
    'the server pushed the mention to the push service, decrypted there',
  )

  await bob.goto('/me')
  await bob.getByRole('heading', { name: 'Personal centre' }).waitFor()
  const cdp = await bob.context().newCDPSession(bob)
  const registrationId = new Promise<string>((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
      const r = e.registrations.find((x) => x.scopeURL === `${base}/` && !x.isDeleted)
      if (r) resolve(r.registrationId)
    })
  })
  await cdp.send('ServiceWorker.enable')
  await cdp.send('ServiceWorker.deliverPushMessage', {
    origin: base,
    registrationId: await registrationId,
    data: JSON.stringify(payload),
  })
  const shown = 'navigator.serviceWorker.ready.then((r) => r.getNotifications())'
  await waitForTrue(bob, `${shown}.then((n) => n.length === 1)`)
  const [note] = (await bob.evaluate(
    `${shown}.then((n) => n.map((x) => ({ title: x.title, body: x.body, tag: x.tag, renotify: x.renotify, data: x.data })))`,
  )) as { title: string; body: string; tag: string; renotify: boolean; data: { url: string } }[]
  t.same(
    note,
    {
      title: 'Alice',
      body: 'the cake is here @bob 🍰',
      tag: `room:${room}`,
      renotify: true,
      data: { url: payload.url, room, seq: mention.seq },
    },
    'the service worker shows the push: who, what, tagged by room',
  )

  // A click on it: the open window (on the personal centre) moves to the room at the message.
  const worker = bob
    .context()
    .serviceWorkers()
    .find((w) => w.url() === `${base}/sw.js`)
  t.ok(worker, 'the service worker runs')
  await worker!.evaluate(clickTheNotification)
  await bob.waitForURL(`${base}/rooms/${room}?seq=${mention.seq}`)
  const target = bob.locator(`.messages article[data-seq="${mention.seq}"]`)
  await bob.locator(`.messages article.flash[data-seq="${mention.seq}"]`).waitFor()
  t.ok(await target.isVisible(), 'the click opens the room at the message, marked')
  t.equal(await bob.evaluate(`${shown}.then((n) => n.length)`), 0, 'and closes the notification')

  // ------------------------------------------------------------ settings
  const settings = async () => (await bob.request.get('/api/me/notifications')).json()
  const bell = bob.getByLabel('Notify me in this room about')
  t.equal(await bell.inputValue(), 'mentions', 'the room’s bell: mentions by default')
  await bell.selectOption('all')
  await until(async () => (await settings()).rooms[room] === 'all', 'the bell saves the room’s level')
  await bob.goto('/me')
  const level = bob.locator('ul.levels li').filter({ hasText: '#Tea' }).getByRole('combobox')
  t.equal(await level.inputValue(), 'all', 'the personal centre shows the level the bell set')
  await level.selectOption('none')
  await bob.getByRole('status').filter({ hasText: 'Saved.' }).waitFor()
  t.equal((await settings()).rooms[room], 'none', 'and sets another')
  await bob.getByLabel('One digest mail now and then').check()
  await bob.getByRole('status').filter({ hasText: 'Mail settings saved.' }).waitFor()
  t.equal((await settings()).email, 'digest', 'the mail mode round-trips')
  const pushBox = bob.getByLabel(/Notify me in this browser/)
  t.ok(await pushBox.isChecked(), 'push shows on for this browser')
  await pushBox.uncheck()
  await bob.getByRole('status').filter({ hasText: 'Notifications in this browser are off.' }).waitFor()
  const gone = await bob.request.delete(`/api/push/subscriptions/${subscriptionId}`)
  t.equal(gone.status(), 404, 'off removed this browser’s subscription on the server')
  await pushBox.check()
  await bob.getByRole('status').filter({ hasText: 'Notifications in this browser are on.' }).waitFor()
  t.equal(
    (await post(bob, '/api/push/subscriptions', { endpoint: sub.endpoint, keys: sub.keys })).id,
    await bob.evaluate('localStorage.getItem("roomchat.push.subscription")'),
    'on again stores it again',
  )

  // ------------------------------------------------------------ the mail address
  await bob.getByLabel('Mail address').fill('bob@example.org')
  await bob.getByRole('button', { name: 'Save address' }).click()
  await bob.getByText('bob@example.org is not verified yet').waitFor()
  await until(() => smtp.to('bob@example.org').length === 1, 'the verification mail arrives')
  await bob.getByRole('button', { name: 'Send the link again' }).click()
  await bob.getByRole('status').filter({ hasText: 'Sent again' }).waitFor()
  await until(() => smtp.to('bob@example.org').length === 2, 'sent again')
  await bob.evaluate('document.getElementById("h-notify").scrollIntoView({ block: "start" })')
  await screenshot(bob, 'notification-settings')
  t.same(await seriousA11yViolations(bob), [], 'the settings: no serious accessibility violation')
  const verifyLink = linkPath(smtp.to('bob@example.org')[1]!.link)
  t.match(verifyLink, /^\/verify-email\?token=/, 'the mail links to the verify page')
  await bob.goto(verifyLink)
  await bob.getByRole('status').filter({ hasText: 'Your mail address is verified.' }).waitFor()
  t.same(await seriousA11yViolations(bob), [], 'the verify page: no serious accessibility violation')
  await bob.getByRole('link', { name: 'To the personal centre' }).click()
  await bob.getByText('bob@example.org is verified.').waitFor()
  t.pass('the personal centre shows the address verified')

  // ------------------------------------------------------------ forgot and reset
  const other = await newPerson(browser, base)
  await other.goto('/login')
  await other.getByRole('link', { name: 'Forgot your password?' }).click()
  await other.getByRole('heading', { name: 'Forgot your password?' }).waitFor()
  await screenshot(other, 'forgot')
  t.same(await seriousA11yViolations(other), [], 'the forgot page: no serious accessibility violation')
  await other.getByLabel('Username or mail address').fill('bob')
  await other.getByRole('button', { name: 'Send the link' }).click()
  await other.getByRole('status').filter({ hasText: 'If an account matches' }).waitFor()
  await until(
    () => smtp.to('bob@example.org').some((m) => m.subject === 'Reset your password'),
    'the reset mail arrives',
  )
  const resetLink = linkPath(
    smtp.to('bob@example.org').find((m) => m.subject === 'Reset your password')!.link,
  )
  t.match(resetLink, /^\/reset-password\?token=/, 'it links to the reset page')
  await other.goto(resetLink)
  await other.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD)
  await other.getByLabel('New password again').fill('not the same one')
  await other.getByRole('button', { name: 'Set the new password' }).click()
  await other.getByText('The two passwords differ.').waitFor()
  await screenshot(other, 'reset')
  t.same(await seriousA11yViolations(other), [], 'the reset page: no serious accessibility violation')
  await other.getByLabel('New password again').fill(NEW_PASSWORD)
  await other.getByRole('button', { name: 'Set the new password' }).click()
  await other.getByRole('status').filter({ hasText: 'Your password is changed' }).waitFor()
  await signIn(other, 'bob', NEW_PASSWORD)
  t.pass('bob signs in with the new password')
  t.equal((await bob.request.get('/api/me')).status(), 401, 'his old session is revoked')
  await bob.waitForURL(/\/login\?ended=1/)
  t.pass('and his old window is back at the sign-in page')
  await other.goto(resetLink)
  await other.getByLabel('New password', { exact: true }).fill(PASSWORD)
  await other.getByLabel('New password again').fill(PASSWORD)
  await other.getByRole('button', { name: 'Set the new password' }).click()
  await other.getByRole('alert').filter({ hasText: 'This link is unknown, used or expired' }).waitFor()
  t.pass('the link works once, said in words')

  t.same(cspViolations, [], 'nothing was refused under the app’s CSP')
})
