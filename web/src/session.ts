// The one connection to the server: a ChatHttp and a ChatSocket from the client package, and the
// signed-in user they share. Same origin, so the httpOnly cookie authenticates both; nothing here
// stores a token where scripts could read it.
//
// Two things every call needs are handled once, in the fetch the client is given:
// - 429: wait Retry-After (at most a minute, at most twice), then the same request again. The
//   server refused it, so repeating it cannot do anything twice. `state.waitingUntil` tells the UI.
// - 401 on anything but signing in: the session ended (logout in another tab, ban, expiry),
//   so the app forgets the user and goes back to the sign-in page. The socket says the same with
//   its final `refused` state.
import { ApiError, ChatHttp, ChatSocket, type FetchLike, type OwnUser } from '@roomchat/client'
import { reactive } from 'vue'

export const state = reactive({
  user: null as OwnUser | null,
  /** The socket's state: idle, connecting, open, reconnecting, refused, closed. */
  connection: 'idle' as string,
  /** When the server has asked us to wait (429), the time we resume; 0 otherwise. */
  waitingUntil: 0,
})

const MAX_WAIT_S = 60
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const signInPaths = ['/api/auth/login', '/api/auth/register']

let onSignedOut: () => void = () => {}
/** The router says where to go when the session ends. */
export function whenSignedOut(handler: () => void) {
  onSignedOut = handler
}

const patientFetch: FetchLike = async (url, init) => {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, init)
    if (res.status === 429 && attempt < 2) {
      const seconds = Math.min(Math.max(Number(res.headers.get('retry-after')) || 1, 1), MAX_WAIT_S)
      state.waitingUntil = Date.now() + seconds * 1000
      await sleep(seconds * 1000)
      state.waitingUntil = 0
      continue
    }
    if (res.status === 401 && state.user && !signInPaths.some((p) => url.startsWith(p))) ended()
    return res
  }
}

export const http = new ChatHttp({ baseUrl: '', fetch: patientFetch })

// A socket lives for one sign-in: a refused or closed ChatSocket is final, so each sign-in gets a
// new one. Pages that need it are only shown to a signed-in user.
let current: ChatSocket | null = null
const socketHooks: ((s: ChatSocket) => void)[] = []
/** Runs for each sign-in's new socket (and the current one): what follows the user across pages. */
export function eachSocket(hook: (s: ChatSocket) => void) {
  socketHooks.push(hook)
  if (current) hook(current)
}
export function socket(): ChatSocket {
  if (!current) throw new Error('not signed in')
  return current
}

function openSocket() {
  current?.close()
  // The cookie authenticates (no token: no ticket needed); checkSession tells a dead session
  // from a network failure, which a browser hides at the upgrade.
  const s = new ChatSocket(http.socketOptions())
  s.on('state', (st) => {
    if (s === current) state.connection = st
  })
  s.on('refused', () => {
    if (s === current) ended()
  })
  current = s
  for (const hook of socketHooks) hook(s)
  void s.connect().catch(() => {})
}

// The network went away or came back (a laptop waking up, Wi-Fi switching): a socket that looks
// open may be dead, and waiting out the backoff or a ping timeout leaves a gap the person sees.
// Dial again at once; the socket re-joins its rooms with `since` and re-sends unacked messages.
window.addEventListener('offline', () => current?.reconnectNow())
window.addEventListener('online', () => current?.reconnectNow())

function ended() {
  if (!state.user) return
  state.user = null
  http.token = undefined
  current?.close()
  current = null
  state.connection = 'idle'
  onSignedOut()
}

/** Once at start: who am I (the cookie answers), and connect if signed in. */
export async function restoreSession(): Promise<void> {
  try {
    signedIn(await http.me())
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err
  }
}

export function signedIn(user: OwnUser) {
  state.user = user
  // The cookie authenticates; a Bearer token would outlive a logout made in another tab.
  http.token = undefined
  openSocket()
}

export async function signOut() {
  await http.logout().catch(() => {})
  ended()
}

/** A message for people from any failure. */
export function describe(err: unknown): string {
  if (err instanceof ApiError) return err.message
  return err instanceof Error ? err.message : String(err)
}
