// Web Push for this browser: the service worker (/sw.js, web/public/sw.js) registered once
// signed in, and this browser's subscription made or removed on request. The subscription's
// server id is kept in localStorage (the server answers the same id for the same endpoint), so
// "off" can remove it. The prompt (pushPrompt.ts) and the settings (NotificationSettings.vue)
// both turn it on through `enablePush`.
import { ApiError, type PushSubscriptionBody } from '@roomchat/client'
import { reactive } from 'vue'
import { router } from './router.ts'
import { http, state } from './session.ts'

const SUB_KEY = 'roomchat.push.subscription'

export const push = reactive({
  /** The browser can do Web Push at all (a secure context with a service worker and PushManager). */
  supported: typeof navigator !== 'undefined' && 'serviceWorker' in navigator && 'PushManager' in window,
  /** The server sends pushes (GET /api/push/key answered); null until asked. */
  available: null as boolean | null,
  /** The browser's notification permission: default, granted or denied. */
  permission: (globalThis.Notification?.permission ?? 'denied') as NotificationPermission,
  /** This browser is subscribed (as far as this app knows). */
  subscribed: false,
})

let registration: Promise<ServiceWorkerRegistration> | null = null
/** Registers the service worker (once); resolves when it is active. */
export function serviceWorker(): Promise<ServiceWorkerRegistration> {
  if (!registration) {
    registration = navigator.serviceWorker
      .register('/sw.js', { scope: '/' })
      .then(() => navigator.serviceWorker.ready)
    // A click on a notification while the app is open: the worker asks the router to move.
    navigator.serviceWorker.addEventListener('message', (e: MessageEvent) => {
      const d = e.data as { type?: string; url?: string } | null
      if (d?.type === 'open' && typeof d.url === 'string' && d.url.startsWith('/')) void router.push(d.url)
    })
  }
  return registration
}

let key: Promise<string | null> | null = null
/** The server's VAPID public key, or null when push is off there (404). */
function vapidKey(): Promise<string | null> {
  key ??= http.pushKey().then(
    (k) => k.publicKey,
    (err) => {
      if (!(err instanceof ApiError && err.code === 'NOT_FOUND')) key = null
      return null
    },
  )
  return key
}

/** At sign-in: the worker registered, whether the server pushes, whether this browser is subscribed. */
export async function startPush(): Promise<void> {
  if (!push.supported || !state.user) return
  push.permission = Notification.permission
  const reg = await serviceWorker()
  push.available = (await vapidKey()) !== null
  const sub = await reg.pushManager.getSubscription()
  push.subscribed = !!sub && !!localStorage.getItem(SUB_KEY)
}

/**
 * Asks the browser's permission (a prompt of its own, so only ever after a click), subscribes with
 * the server's key and stores the subscription. Returns why not, in words, or '' when done.
 */
export async function enablePush(): Promise<string> {
  if (!push.supported) return 'This browser cannot show notifications from web pages.'
  const publicKey = await vapidKey()
  if (!publicKey) return 'This server does not send notifications.'
  push.permission = await Notification.requestPermission()
  if (push.permission !== 'granted')
    return 'Notifications are blocked for this site: allow them in the browser’s site settings.'
  const reg = await serviceWorker()
  const sub =
    (await reg.pushManager.getSubscription()) ??
    (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: publicKey }))
  const { id } = await http.subscribePush(sub.toJSON() as PushSubscriptionBody)
  localStorage.setItem(SUB_KEY, id)
  push.subscribed = true
  return ''
}

/** Stops pushes to this browser: the subscription removed here and on the server. */
export async function disablePush(): Promise<void> {
  const id = localStorage.getItem(SUB_KEY)
  const reg = push.supported ? await serviceWorker() : null
  await (await reg?.pushManager.getSubscription())?.unsubscribe()
  if (id) await http.unsubscribePush(id).catch(() => {})
  localStorage.removeItem(SUB_KEY)
  push.subscribed = false
}
