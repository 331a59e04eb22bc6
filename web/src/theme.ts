// Applies the user's theme to the page: `data-theme` picks the palette (styles.css; "system"
// follows prefers-color-scheme) and the accent colour sets three variables. Any accent a person
// picks stays readable: `--accent-ink` (links, text in the accent colour) is the accent moved
// toward white on dark pages or black on light ones until it contrasts 4.5:1 with every surface
// (WCAG AA), and `--on-accent` (text on accent buttons) is white or near-black, whichever reads
// better. Called on every change, so the personal centre shows a choice before it is saved.
import type { OwnUser } from '@roomchat/client'

export type Theme = OwnUser['theme']
export const DEFAULT_ACCENT = '#3b6fd8'
/** The surfaces text in the accent colour may sit on (styles.css: panels, sidebar, hover, mine). */
const SURFACES = {
  light: ['#ffffff', '#f5f6f8', '#eef0f4', '#f2f4f7', '#e7eefc'],
  dark: ['#1e2127', '#24282f', '#16181c', '#262a31', '#23304a'],
} as const
const DARK_TEXT = [27, 29, 34] as const

type Rgb = readonly number[]
const parse = (hex: string): Rgb => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16))
const toHex = (rgb: Rgb) => `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`
const luminance = (rgb: Rgb) => {
  const [r, g, b] = rgb.map((c) => {
    const s = c / 255
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
  }) as [number, number, number]
  return 0.2126 * r + 0.7152 * g + 0.0722 * b
}
const contrast = (a: Rgb, b: Rgb) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number]
  return (hi + 0.05) / (lo + 0.05)
}
const mix = (a: Rgb, b: Rgb, t: number) => a.map((c, i) => c + (b[i]! - c) * t)

function isDark(mode: Theme['mode']): boolean {
  if (mode === 'system') return globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false
  return mode === 'dark'
}

export function applyTheme(theme: Theme | undefined) {
  const root = document.documentElement
  const mode = theme?.mode ?? 'system'
  const accent = parse(/^#[0-9a-fA-F]{6}$/.test(theme?.accent ?? '') ? theme!.accent! : DEFAULT_ACCENT)
  const dark = isDark(mode)
  const surfaces = (dark ? SURFACES.dark : SURFACES.light).map(parse)
  const toward = dark ? [255, 255, 255] : [0, 0, 0]
  const readable = (c: Rgb) => surfaces.every((s) => contrast(c, s) >= 4.5)
  let ink = accent
  for (let t = 0.05; !readable(ink) && t <= 1; t += 0.05) ink = mix(accent, toward, t)
  root.dataset.theme = mode
  root.style.setProperty('--accent', toHex(accent))
  root.style.setProperty('--accent-ink', toHex(ink))
  root.style.setProperty(
    '--on-accent',
    contrast(accent, [255, 255, 255]) >= contrast(accent, DARK_TEXT) ? '#fff' : toHex(DARK_TEXT),
  )
}
