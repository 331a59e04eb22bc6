// The one connection to the server: a ChatHttp and a ChatSocket from the client package, and the
// signed-in user they share. Same origin, so the httpOnly cookie authenticates both; nothing here
// stores a token where scripts could read it.
//
// Two things every call needs are handled once, in the fetch the client is given:
// - 429: wait Retry-After (at most a minute, at most twice), then the same request again. The
//   server refused it, so repeating it cannot do anything twice. `state.waitingUntil` tells the UI.
// - 401 on anything but signing in: the session ended (logout in another tab, ban, expiry),
//   so the app forgets the user and goes back to the sign-in page.
import { ApiError, ChatHttp, ChatSocket, type FetchLike, type OwnUser } from '@roomchat/client'
import { reactive } from 'vue'

export const state = reactive({
  user: null as OwnUser | null,
  /** The socket's state: idle, connecting, open, reconnecting, closed. */
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

export const http = new ChatHttp({ baseUrl: '', credentials: 'same-origin', fetch: patientFetch })
export const socket = new ChatSocket({ url: () => http.wsUrl() })
socket.on('state', (s) => {
  state.connection = s
})
socket.on('revoked', () => ended())
// The network went away or came back (a laptop waking up, Wi-Fi switching): a socket that looks
// open may be dead, and waiting out the backoff or a ping timeout leaves a gap the person sees.
// Dial again at once; the socket re-joins its rooms with `since` and re-sends unacked messages.
window.addEventListener('offline', () => socket.reconnectNow())
window.addEventListener('online', () => socket.reconnectNow())

function ended() {
  if (!state.user) return
  state.user = null
  http.token = undefined
  socket.close()
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
  void socket.connect().catch(() => {})
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
