// Invitation lineage in the web app, in a real browser against one server on this run's backend
// (members may make 2 invite codes a day). The admin mints a code for Anna to hand out; Bert
// registers with it, makes a code of his own, and Cleo registers with that. Anna's invitation
// tree shows Bert and, below him, Cleo; read one level deep, Bert offers "Load deeper". The
// admin freezes Anna with her subtree and her codes: the dialog's answer says 3 frozen and 1
// code revoked, Cleo's session is refused, Anna's unused code is listed as revoked, and the audit
// log says it in words. Dora makes an invite code in her personal centre (shown once, its link
// opens registration with it filled in) and, on the third of the day, is told when to retry.
// axe-core on each page and dialog.
import type { Page } from 'playwright-core'
import t from 'tap'
import { ADMIN } from '../helpers/app.ts'
import {
  cspViolations,
  ensureWebBuilt,
  launchBrowser,
  newPerson,
  PHONE,
  screenshot,
  seriousA11yViolations,
} from '../helpers/browser.ts'
import { mintCodes, register, serveApp, signIn } from './people.ts'

const PASSWORD = 'correct-horse-1'
const myId = async (page: Page): Promise<string> =>
  ((await (await page.request.get('/api/me')).json()) as { user: { id: string } }).user.id
const noWiderThanScreen = (page: Page) =>
  page.evaluate('document.documentElement.scrollWidth - innerWidth') as Promise<number>
const node = (page: Page, username: string, level: number) =>
  page.locator(`.tree li[data-user="${username}"][data-level="${level}"]`)

t.test('invitation trees, freezes and members’ invite codes in the web app', async (t) => {
  ensureWebBuilt()
  const browser = await launchBrowser(t)
  if (!browser) return
  const base = await serveApp(t, { MEMBER_INVITES_PER_DAY: '2' })
  const admin = await newPerson(browser, base)
  await signIn(admin, ADMIN.username, ADMIN.password)
  const [forAnna, forDora] = await mintCodes(admin, 'invite', 2)
  const anna = await newPerson(browser, base)
  await register(anna, 'anna', PASSWORD, forAnna!)

  // ------------------------------------------------------------ a code minted for a member
  const form = admin.getByRole('form', { name: 'Invite codes' })
  const looked = admin.waitForResponse(
    (r) => r.url().includes('/api/admin/users?') && r.url().includes('q=anna'),
  )
  await form.getByLabel('Invite codes').fill('1')
  await form.getByLabel('For member (optional)').fill('anna')
  await looked
  await form.getByRole('button', { name: 'Mint invite codes' }).click()
  await admin.getByRole('status').filter({ hasText: '1 invite code(s) minted' }).waitFor()
  const batch = admin.locator('section.minted').first()
  t.match(await batch.textContent(), /for @anna/, 'the batch says whom the code is for')
  const annasCode = (await batch.locator('.new-code').textContent())?.trim() ?? ''
  await batch.getByRole('button', { name: /^Dismiss/ }).click()
  await form.getByLabel('For member (optional)').fill('nobody-here')
  await form.getByRole('button', { name: 'Mint invite codes' }).click()
  const shown1 = admin.getByRole('alert').filter({ hasText: 'No member is called @nobody-here.' })
  await shown1.waitFor()
  t.ok(await shown1.isVisible(), 'a name matching no member is refused in words')
  await form.getByLabel('For member (optional)').fill('')

  const bert = await newPerson(browser, base)
  await register(bert, 'bert', PASSWORD, annasCode)
  const minted = await bert.request.post('/api/me/invite-codes', { data: { count: 1 } })
  t.equal(minted.status(), 201, 'bert makes a code of his own')
  const bertsCode = ((await minted.json()) as { codes: { code: string }[] }).codes[0]!.code
  const cleo = await newPerson(browser, base)
  await register(cleo, 'cleo', PASSWORD, bertsCode)
  const annaMinted = await anna.request.post('/api/me/invite-codes', { data: { count: 1 } })
  const annasHint = ((await annaMinted.json()) as { codes: { hint: string }[] }).codes[0]!.hint
  const annaId = await myId(anna)

  // ------------------------------------------------------------ the tree
  await admin.goto('/admin')
  await admin
    .locator('.user-row[data-user="anna"]')
    .getByRole('link', { name: /Invitation tree/ })
    .click()
  await admin.getByRole('heading', { name: 'Invitation tree' }).waitFor()
  t.equal(new URL(admin.url()).pathname, `/admin/users/${annaId}/lineage`, 'at her lineage’s address')
  await node(admin, 'cleo', 2).waitFor()
  t.equal(await node(admin, 'bert', 1).count(), 1, 'bert, invited by anna, one level down')
  t.equal(
    await node(admin, 'bert', 1)
      .locator(node(admin, 'cleo', 2))
      .count(),
    1,
    'cleo below bert',
  )
  t.match(
    await admin.locator('.invited-by').textContent(),
    /Invited by\s+@admin/,
    'anna was invited by the admin (her code was his)',
  )
  t.same(await seriousA11yViolations(admin), [], 'the tree: no serious accessibility violation')
  await screenshot(admin, 'lineage')

  await admin.getByRole('button', { name: 'Hide the 1 invited by bert' }).click()
  t.equal(await node(admin, 'cleo', 2).count(), 0, 'folding bert hides cleo')
  await admin.getByRole('button', { name: 'Show the 1 invited by bert' }).click()
  await node(admin, 'cleo', 2).waitFor()
  await admin.getByLabel('Levels').selectOption('1')
  await node(admin, 'cleo', 2).waitFor({ state: 'detached' })
  await node(admin, 'bert', 1)
    .getByRole('button', { name: /Load deeper below bert/ })
    .click()
  const shown2 = node(admin, 'cleo', 2)
  await shown2.waitFor()
  t.ok(await shown2.isVisible(), 'one level read, bert offers load deeper, which reads cleo below him')

  // ------------------------------------------------------------ freeze
  await admin.getByRole('button', { name: 'Freeze…' }).click()
  const dialog = admin.getByRole('dialog')
  await dialog.getByRole('heading', { name: 'Freeze Anna' }).waitFor()
  t.match(
    await dialog.getByLabel(/Include everyone they invited/).evaluate((e) => e.parentElement?.textContent),
    /subtree: 2 users\)/,
    'the subtree is counted from the tree shown (one level, and one read deeper)',
  )
  await dialog.getByLabel('Mute everywhere for a while').check()
  await dialog.getByLabel('How long').fill('2')
  await dialog.getByLabel('Unit').selectOption('hours')
  t.same(await seriousA11yViolations(admin), [], 'the freeze dialog: no serious accessibility violation')
  await screenshot(admin, 'freeze-dialog')
  await dialog.getByLabel('Ban (sessions end, sign-in refused)').check()
  t.ok(await dialog.getByLabel(/Include everyone they invited/).isChecked(), 'subtree is asked by default')
  t.ok(await dialog.getByLabel('Revoke unused invite codes').isChecked(), 'so are the codes')
  await dialog.getByRole('button', { name: 'Ban all' }).click()
  const answer = dialog.getByRole('status')
  await answer.filter({ hasText: '3 users frozen' }).waitFor()
  t.match(await answer.textContent(), /banned[\s\S]*1 code revoked/, 'banned, and one unused code revoked')
  t.equal(
    await admin.evaluate('document.activeElement?.textContent'),
    'Done',
    'the focus moves to the answer’s button',
  )
  await screenshot(admin, 'freeze-answer')
  await dialog.getByRole('button', { name: 'Done' }).click()
  await dialog.waitFor({ state: 'detached' })
  await node(admin, 'bert', 1).locator('.badge', { hasText: 'banned' }).waitFor()
  t.match(await admin.locator('.root').textContent(), /banned/, 'the tree is read again: anna is banned')
  await screenshot(admin, 'lineage-frozen')
  t.equal((await cleo.request.get('/api/me')).status(), 401, 'cleo’s session is refused')
  t.equal((await anna.request.get('/api/me')).status(), 401, 'so is anna’s')

  await admin.goto('/admin')
  await admin.getByLabel('Status').selectOption('revoked')
  const shown3 = admin.locator('td code', { hasText: `${annasHint}…` })
  await shown3.waitFor()
  t.ok(await shown3.isVisible(), 'anna’s unused code is listed as revoked')

  await admin.goto('/admin/audit')
  const entry = admin.locator('tr[data-action="user.freeze"]').first()
  await entry.waitFor()
  t.match(
    await entry.locator('.details').textContent(),
    /3 users with their invitees · banned · 1 code revoked/,
    'the audit log says the freeze in words',
  )

  // ------------------------------------------------------------ a member's own codes
  const dora = await newPerson(browser, base)
  await register(dora, 'dora', PASSWORD, forDora!)
  await dora.goto('/me')
  const section = dora.getByRole('region', { name: 'Your invite codes' })
  await section.getByText('You hold no invite codes yet.').waitFor()
  await section.getByRole('button', { name: 'Create invite code' }).click()
  const fresh = section.getByRole('group', { name: 'New invite code' })
  const code = (await fresh.locator('.new-code').textContent())?.trim() ?? ''
  t.ok(code.length > 8, 'the new code is shown')
  await section.locator('li[data-status="unused"]').waitFor()
  t.same(await seriousA11yViolations(dora), [], 'the invite codes: no serious accessibility violation')
  // The page scrolls inside <main> (the bar stays): the section brought to its top.
  await section.evaluate((e) => {
    const main = e.closest('main')
    if (main) main.scrollTop += e.getBoundingClientRect().top - main.getBoundingClientRect().top - 12
  })
  await screenshot(dora, 'invite-codes')
  const link = (await fresh.locator('.link-text').textContent())?.trim() ?? ''
  t.equal(link, `${base}/login?invite=${code}`, 'with a link to register with it')

  await dora.reload()
  await section.locator('li[data-status="unused"]').waitFor()
  t.notOk((await section.textContent())?.includes(code), 'shown once: after a reload only its hint is listed')
  await section.getByRole('button', { name: 'Create invite code' }).click()
  await fresh.waitFor()
  await section.getByRole('button', { name: 'Create invite code' }).click()
  const limit = section.getByRole('alert')
  await limit.waitFor()
  t.match(
    await limit.textContent(),
    /as many invite codes as you may today\. Try again in \d+ (hours?|minutes?) \(at /,
    'the third of the day: when to try again',
  )
  t.equal(await section.locator('li').count(), 2, 'two codes listed')
  await dora.setViewportSize(PHONE)
  t.ok((await noWiderThanScreen(dora)) <= 0, 'on a phone the section fits the screen')

  const guest = await newPerson(browser, base)
  await guest.goto(link)
  await guest.getByRole('heading', { name: 'Create an account' }).waitFor()
  t.equal(
    await guest.getByLabel('Invite code').inputValue(),
    code,
    'the link opens registration with the code',
  )

  await admin.goto(`/admin/users/${annaId}/lineage`)
  await node(admin, 'cleo', 2).waitFor()
  await admin.setViewportSize(PHONE)
  t.ok((await noWiderThanScreen(admin)) <= 0, 'on a phone the tree fits the screen')
  t.same(cspViolations, [], 'nothing was refused by the Content-Security-Policy')
})
