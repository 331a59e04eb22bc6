// The web app's service worker, served at /sw.js (scope: the whole app) and revalidated on every
// load like index.html, so a new build replaces it. It does one job: Web Push. It caches nothing
// and handles no fetch: the app works online only, as before.
//
// A push carries {room, seq, from: {id, displayName}, text, url, count?} (docs/notifications.md).
// It is shown as a notification tagged by room: a second message of a room replaces the first
// (one line per room, not a pile), and `renotify` still sounds for it. A click brings an open
// window of the app to the message (the app's router moves there, nothing reloads) or opens one.

self.addEventListener('install', () => {
  // No cache to fill: take over at once rather than after every tab of the old one closed.
  self.skipWaiting()
})
self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim())
})

/** What a push says, or null for a payload this app did not send (shown as nothing). */
function readPush(event) {
  try {
    const p = event.data?.json()
    if (!p || typeof p.room !== 'string' || typeof p.url !== 'string') return null
    return p
  } catch {
    return null
  }
}

self.addEventListener('push', (event) => {
  const p = readPush(event)
  if (!p) return
  const who = p.from?.displayName || 'Someone'
  const title = p.count > 1 ? `${who} and others` : who
  // userVisibleOnly subscriptions must show something for every push they get.
  event.waitUntil(
    self.registration.showNotification(title, {
      body: p.text ?? '',
      tag: `room:${p.room}`,
      renotify: true,
      icon: '/favicon.svg',
      data: { url: p.url, room: p.room, seq: p.seq },
    }),
  )
})

/** Brings the app to `url`: an open window of it moves there (and comes to the front), else a new one. */
async function openAt(url) {
  const target = new URL(url, self.location.origin)
  // Only this app's own pages: a payload can never send the browser elsewhere.
  if (target.origin !== self.location.origin) return
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true })
  const open = windows.find((w) => new URL(w.url).origin === self.location.origin)
  if (open) {
    // The app's router takes it (web/src/push.ts): no reload, the socket stays up.
    open.postMessage({ type: 'open', url: target.pathname + target.search })
    await open.focus().catch(() => {})
    return
  }
  await self.clients.openWindow(target.href)
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close()
  const url = event.notification.data?.url
  if (typeof url === 'string') event.waitUntil(openAt(url))
})
