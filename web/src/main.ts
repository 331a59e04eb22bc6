import { createApp, watch } from 'vue'
import App from './App.vue'
import { router } from './router.ts'
import { restoreSession, state } from './session.ts'
import { applyTheme } from './theme.ts'
import './emoji-font.css'
import './styles.css'

// One call decides everything the first page needs: who is signed in (GET /api/auth/session).
await restoreSession().catch(() => {})
watch(
  () => state.user?.theme,
  (theme) => applyTheme(theme),
  { immediate: true, deep: true },
)
// "system" follows the OS as it changes (the readable accent shades depend on light or dark).
globalThis
  .matchMedia?.('(prefers-color-scheme: dark)')
  .addEventListener('change', () => applyTheme(state.user?.theme))
createApp(App).use(router).mount('#app')
