// What a person does in the web app, as steps over its labelled controls (the same names a
// screen reader announces), shared by the browser tests.
import type { Browser, Page } from 'playwright-core'
import type { Test } from 'tap'
import { ADMIN, buildTestApp, sharedEnv } from '../helpers/app.ts'
import { ensureWebBuilt, launchBrowser, newPerson } from '../helpers/browser.ts'

export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/login')
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in', exact: true }).last().click()
  await page.getByRole('heading', { name: /^Hello, / }).waitFor()
}

export async function register(
  page: Page,
  username: string,
  password: string,
  inviteCode: string,
): Promise<void> {
  await page.goto('/login')
  await page.getByRole('button', { name: 'Register', exact: true }).first().click()
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(password)
  await page.getByLabel('Display name').fill(username[0]!.toUpperCase() + username.slice(1))
  await page.getByLabel('Invite code').fill(inviteCode)
  await page.getByRole('button', { name: 'Register', exact: true }).last().click()
  await page.getByRole('heading', { name: /^Hello, / }).waitFor()
}

/**
 * On the admin page: mints codes of one kind, reads the plain codes it shows once (the newest
 * batch, shown first) and dismisses them, so that leaving the page does not ask.
 */
export async function mintCodes(page: Page, kind: 'invite' | 'activation', count: number): Promise<string[]> {
  if (!new URL(page.url(), 'http://x').pathname.startsWith('/admin')) await page.goto('/admin')
  const form = page.getByRole('form', { name: kind === 'invite' ? 'Invite codes' : 'Activation codes' })
  await form.getByLabel(kind === 'invite' ? 'Invite codes' : 'Activation codes').fill(String(count))
  await form.getByRole('button').click()
  await page
    .getByRole('status')
    .filter({ hasText: `${count} ${kind} code(s) minted` })
    .waitFor()
  const batch = page.locator('section.minted').first()
  const codes = await batch.locator('.new-code').allInnerTexts()
  await batch.getByRole('button', { name: /^Dismiss/ }).click()
  await batch.waitFor({ state: 'detached' })
  return codes
}

/** Opens a room from the list of all rooms (joining it). */
export async function openRoom(page: Page, name: string): Promise<void> {
  await page.goto('/rooms')
  await page.getByRole('button', { name: 'All rooms' }).click()
  await page.locator('main').getByRole('link', { name, exact: true }).click()
  await page.getByRole('heading', { name, exact: true }).waitFor()
  await page
    .locator('.presence')
    .filter({ hasText: /Online \([1-9]/ })
    .waitFor()
}

export async function say(page: Page, text: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Message' }).fill(text)
  await page.getByRole('button', { name: 'Send' }).click()
}

/** The texts of the messages shown in the room, in order (delivered ones, not pending). */
export function shownTexts(page: Page): Promise<string[]> {
  return page.locator('.messages article.msg:not(.pending) .text').allInnerTexts()
}

/** The server on a loopback port (argon2 cheap: the browsers sign in often); its base URL. */
export async function serveApp(t: Test, env: Record<string, string> = {}): Promise<string> {
  const app = await buildTestApp(
    t,
    sharedEnv(t, { ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1', ...env }),
  )
  await app.listen({ port: 0, host: '127.0.0.1' })
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
}

export interface Stage {
  browser: Browser
  /** The server's base URL. */
  base: string
  /** A browser context of its own with the admin signed in. */
  admin: Page
}

/** The built web app served on this run's backend, Chromium, and the admin signed in; null without Chromium outside CI. */
export async function stageWithAdmin(t: Test): Promise<Stage | null> {
  ensureWebBuilt()
  const browser = await launchBrowser(t)
  if (!browser) return null
  const base = await serveApp(t)
  const admin = await newPerson(browser, base)
  await signIn(admin, ADMIN.username, ADMIN.password)
  return { browser, base, admin }
}
