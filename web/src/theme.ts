// Applies the user's theme to the page: `data-theme` picks the palette (styles.css; "system"
// follows prefers-color-scheme) and `--accent` the accent colour. Called on every change, so the
// personal centre shows a choice before it is saved.
import type { OwnUser } from '@roomchat/client'

export type Theme = OwnUser['theme']
export const DEFAULT_ACCENT = '#3b6fd8'

export function applyTheme(theme: Theme | undefined) {
  const root = document.documentElement
  root.dataset.theme = theme?.mode ?? 'system'
  root.style.setProperty('--accent', theme?.accent ?? DEFAULT_ACCENT)
}
