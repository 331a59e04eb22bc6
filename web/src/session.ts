// The one connection to the server: a ChatHttp and a ChatSocket from the client package, and the
// signed-in user they share. Same origin, so the httpOnly cookie authenticates both; nothing here
// stores a token where scripts could read it.
//
// Two things every call needs are handled once, in the fetch the client is given:
// - 429: wait Retry-After (at most a minute, at most twice), then the same request again. The
//   server refused it, so repeating it cannot do anything twice. `state.waitingUntil` tells the UI.
//   A wait longer than a minute (an hourly limit) is handed back at once: the page says when to
//   come back rather than leave the person watching a countdown that cannot end well.
// - 401 on anything but signing in: the session ended (logout in another tab, ban, expiry),
//   so the app forgets the user and goes back to the sign-in page. The socket says the same with
//   its final `refused` state.
import {
  ApiError,
  ChatHttp,
  ChatSocket,
  type DeleteAccountBody,
  type FetchLike,
  type OwnUser,
} from '@roomchat/client'
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

/** Why the session ended: the server ended it (logout elsewhere, ban, expiry), or the account is gone. */
export type EndReason = 'ended' | 'deleted'
let onSignedOut: (why: EndReason) => void = () => {}
/** The router says where to go when the session ends. */
export function whenSignedOut(handler: (why: EndReason) => void) {
  onSignedOut = handler
}
// The socket's 4001 may arrive before the deletion's own answer: whichever ends the session first
// must already know the account is gone.
let endReason: EndReason = 'ended'

const patientFetch: FetchLike = async (url, init) => {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, init)
    if (res.status === 429 && attempt < 2 && Number(res.headers.get('retry-after') || 0) <= MAX_WAIT_S) {
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
  const why = endReason
  endReason = 'ended'
  onSignedOut(why)
}

/** Deletes the signed-in account; once the server has, the app is signed out and says so. */
export async function deleteAccount(body: DeleteAccountBody): Promise<void> {
  endReason = 'deleted'
  try {
    await http.deleteAccount(body)
  } catch (err) {
    endReason = 'ended'
    throw err
  }
  // Deleted, whichever way the session ends from here.
  endReason = 'deleted'
  ended()
}

/** Once at start: who am I (the cookie answers; a visit without a session is no error), and connect if signed in. */
export async function restoreSession(): Promise<void> {
  const user = await http.session()
  if (user) signedIn(user)
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

/**
 * What the server's machine codes mean, in words for people (the validator's own text is for
 * developers). A code not here keeps the server's message.
 */
const WORDS: Partial<Record<string, string>> = {
  VALIDATION: 'Some of what was entered is not accepted: check the fields and try again.',
  UNAUTHENTICATED: 'Your session ended: sign in again.',
  BAD_CREDENTIALS: 'Wrong username or password.',
  TOTP_REQUIRED: 'Enter the 6-digit code from your authenticator app.',
  BAD_TOTP: 'That code is wrong or was used already: wait for the next one.',
  INVALID_CODE: 'This code is unknown, used up, expired or revoked.',
  USERNAME_TAKEN: 'This username is taken: pick another one.',
  NAME_TAKEN: 'This display name is the username of someone else: pick another one.',
  FORBIDDEN: 'You are not allowed to do this.',
  BANNED: 'This account is banned.',
  VIP_REQUIRED: 'This needs an active VIP membership.',
  NOT_MEMBER: 'Join the room first.',
  NOT_FOUND: 'This does not exist (any more), or is not visible to you.',
  ROOM_FULL: 'The room is full.',
  SELF_CHANGE: 'You cannot ban or demote yourself.',
  LAST_ADMIN: 'There must always be at least one admin who is not banned.',
  DELETED: 'That message was deleted.',
  TOO_MANY_REACTIONS: 'This message has as many different reactions as it can hold.',
  TOO_MANY_PINS: 'This room has 50 pinned messages, as many as it can hold: unpin one first.',
  MUTED: 'You are muted in this room: a moderator has stopped your messages for a while.',
  TOO_LARGE: 'That is larger than the server accepts.',
  UNSUPPORTED_MEDIA_TYPE: 'That kind of file is not accepted.',
  RATE_LIMITED: 'Too many tries: wait a minute and try again.',
  UNAVAILABLE: 'The server is busy for a moment: try again.',
  INTERNAL: 'Something went wrong on the server: try again.',
  TIMEOUT: 'That took too long: try again.',
  INVALID_TOKEN: 'This link is unknown, used or expired: ask for a new one.',
  EMAIL_TAKEN: 'This mail address belongs to another account.',
  BLOCKED: 'This conversation is closed: one of you has blocked the other.',
  ALREADY_REPORTED: 'You have already reported this message.',
  ALREADY_DECIDED: 'Someone else decided this report first.',
  TOO_MANY_BLOCKS: 'You block as many people as you can: unblock someone first.',
}

/** A message for people from any failure: the words for its code, else its own message. */
export function describe(err: unknown): string {
  if (err instanceof ApiError && err.code === 'RATE_LIMITED' && err.retryAfter)
    return `Too many tries: try again in ${waitWords(err.retryAfter)}.`
  if (err instanceof ApiError) return WORDS[err.code] ?? err.message
  return err instanceof Error ? err.message : String(err)
}

/** A wait in the largest unit that reads naturally: "40 seconds", "12 minutes". */
export function waitWords(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`
  const minutes = Math.ceil(seconds / 60)
  return `${minutes} minute${minutes === 1 ? '' : 's'}`
}
