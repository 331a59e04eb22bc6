// A real browser for the web app's tests: Debian's Chromium driven by playwright-core, each
// person in a browser context of their own (own cookies, own network switch). Also: the web app
// built before a test serves it, an axe-core audit of a page, and screenshots for web/README.md.
// When a test fails, the last frames each person's socket sent and received and the console's
// warnings and errors are printed: a failure seen once in CI can then be read, not guessed.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium, type Page } from 'playwright-core'
import type { Test } from 'tap'
import { needProgram } from './servers.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Builds web/dist when missing or stale (a no-op after `npm install` built it). */
export function ensureWebBuilt(): void {
  const run = spawnSync(process.execPath, [join(ROOT, 'scripts/build-web.mjs')], {
    cwd: ROOT,
    encoding: 'utf8',
  })
  if (run.status !== 0) throw new Error(`building the web app failed:\n${run.stdout}\n${run.stderr}`)
}

/** Chromium, closed when the test ends; null (test planned empty) where there is none outside CI. */
export async function launchBrowser(t: Test): Promise<Browser | null> {
  if (!needProgram(t, 'Chromium', existsSync(CHROMIUM), `${CHROMIUM}; Debian package chromium`)) return null
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true })
  t.teardown(async () => {
    if (!t.passing()) printTraces(browser)
    await browser.close()
  })
  return browser
}

/** Per browser, each person's recent socket frames and console warnings, oldest first. */
const traces = new Map<Browser, { person: string; lines: string[] }[]>()
const TRACE_LINES = 60

function traceOf(page: Page): (line: string) => void {
  const browser = page.context().browser()
  if (!browser) return () => {}
  let list = traces.get(browser)
  if (!list) {
    list = []
    traces.set(browser, list)
  }
  const trace = { person: `person ${list.length + 1}`, lines: [] as string[] }
  list.push(trace)
  const t0 = Date.now()
  return (line) => {
    trace.lines.push(`${String(Date.now() - t0).padStart(6)} ms ${line.slice(0, 400)}`)
    if (trace.lines.length > TRACE_LINES) trace.lines.shift()
  }
}

function printTraces(browser: Browser): void {
  for (const { person, lines } of traces.get(browser) ?? []) {
    console.error(`\n[browser] ${person} (${lines.length} latest lines):\n${lines.join('\n')}`)
  }
}

/** What the browser refused under the app's Content-Security-Policy, across every page opened here. */
export const cspViolations: string[] = []

/** A page in a fresh context (a person of their own); browser errors fail loudly in the output. */
export async function newPerson(browser: Browser, base: string): Promise<Page> {
  // Reduced motion: the phone's drawer shows at once, so what a test or a screenshot sees is settled.
  const context = await browser.newContext({ baseURL: base, viewport: DESKTOP, reducedMotion: 'reduce' })
  const page = await context.newPage()
  page.setDefaultTimeout(15_000)
  page.on('pageerror', (err) => console.error(`[browser] ${err.message}`))
  const trace = traceOf(page)
  page.on('console', (msg) => {
    if (/Content.Security.Policy/i.test(msg.text())) cspViolations.push(msg.text())
    if (msg.type() === 'error' || msg.type() === 'warning') trace(`console.${msg.type()} ${msg.text()}`)
  })
  page.on('websocket', (ws) => {
    trace(`socket open ${ws.url()}`)
    ws.on('framesent', (f) => trace(`> ${String(f.payload)}`))
    ws.on('framereceived', (f) => trace(`< ${String(f.payload)}`))
    ws.on('close', () => trace('socket closed'))
  })
  return page
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

export interface AxeViolation {
  id: string
  impact: string | null
  help: string
  nodes: { target: string[] }[]
}

/** axe-core's WCAG 2 A/AA rules on the page as it is now: the serious and critical violations. */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol: a <script> tag would be refused by the app's CSP.
  if (!(await page.evaluate('typeof axe !== "undefined"'))) await page.evaluate(axeSource)
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run: (o: unknown) => Promise<{ violations: AxeViolation[]; passes: unknown[] }> }
      }
    ).axe
    const result = await axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] } })
    // An audit that checked nothing would pass anything.
    if (!result.passes.length) throw new Error('axe-core checked no rule on this page')
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }))
  })
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
}

/** The window sizes the app is shown at: a laptop, and a phone (held upright). */
export const DESKTOP = { width: 1280, height: 800 } as const
export const PHONE = { width: 390, height: 844 } as const

/** Lets the page lay itself out after a change of size or colour scheme: fonts in, two frames drawn. */
export async function settled(page: Page): Promise<void> {
  await page.evaluate(
    'document.fonts.ready.then(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))))',
  )
}

/**
 * Waits until the expression is truthy in the page. Not `page.waitForFunction(string)`: that one
 * evaluates the text with `eval` inside the page, which the app's CSP (`script-src 'self'`) may
 * refuse; `page.evaluate` of an expression runs through the debugging protocol, outside the CSP.
 */
export async function waitForTrue(page: Page, expression: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await page.evaluate(expression)) return
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression}`)
    await new Promise((done) => setTimeout(done, 25))
  }
}

/**
 * With SCREENSHOTS=1, saves the page as docs/screenshots/<name>-<desktop|phone>-<light|dark>.png
 * (`npm run screenshots`): at 1280×800 and 390×844, each in the light and the dark scheme (the
 * people shown keep the theme "system", which follows the scheme). The page is left as it was.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.SCREENSHOTS !== '1') return
  const dir = join(ROOT, 'docs', 'screenshots')
  mkdirSync(dir, { recursive: true })
  const size = page.viewportSize() ?? DESKTOP
  for (const [form, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    await page.setViewportSize(viewport)
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme })
      await settled(page)
      await page.screenshot({ path: join(dir, `${name}-${form}-${scheme}.png`) })
    }
  }
  await page.emulateMedia({ colorScheme: 'light' })
  await page.setViewportSize(size)
  await settled(page)
}

/** A small PNG (16×16, one colour), made here so the test needs no fixture file. */
export { png16 } from './png.ts'
