// Unread messages and mentions per room, for the badges: read from GET /api/me/unread (at
// sign-in, on every reconnect, when the window gets focus, and every 20 s while signed in), and
// kept live between those reads by the frames of the rooms the socket follows: a message from
// someone else adds one unless its room is on screen, a `read` frame (this user read the room in
// another tab or device) clears what it covers. The counts themselves are the server's (seqs and
// read markers): the app only adds to them until the next read says what they are.
//
// The socket follows the user's rooms (the first MAX_FOLLOWED of them, joined from their last
// seq, so nothing is replayed) for as long as the app is open, which also shows the user online
// there. Rooms past that, and direct rooms someone else opened since, get their badges from the
// reads above.
import type { ChatSocket, Message, ReadFrame, RemovedFrame } from '@roomchat/client'
import { reactive } from 'vue'
import { eachSocket, http, state } from './session.ts'

export interface Badge {
  unread: number
  mentions: number
  lastSeq: number
}
export const badges = reactive(new Map<string, Badge>())
const POLL_MS = 20_000
/** Rooms followed at once for badges: their joins stay well inside a socket's frame budget. */
const MAX_FOLLOWED = 25
const followed = new Set<string>()
let following: ChatSocket | null = null

/** Follows a room of the user on the socket for its badge; false when there is no room left for it. */
export function keepFollowing(room: string, since?: number): boolean {
  if (followed.has(room)) return true
  if (!following || followed.size >= MAX_FOLLOWED) return false
  followed.add(room)
  const s = following
  s.join(room, since === undefined ? {} : { since }).catch(() => {
    if (s === following) followed.delete(room)
  })
  return true
}
async function followMine(s: ChatSocket) {
  try {
    const page = await http.rooms({ mine: true, limit: MAX_FOLLOWED })
    if (s === following) for (const r of page.items) keepFollowing(r.id, r.lastSeq)
  } catch {
    // The badges still come from the reads.
  }
}

/** The room on screen (its messages are read as they are shown), or null. */
let onScreen: string | null = null
export function showing(room: string | null) {
  onScreen = room
  if (room) badges.delete(room)
}

let loading: Promise<void> | null = null
/** Messages that arrived while a read was under way: the answer may or may not count them. */
let arrivedMeanwhile: Message[] | null = null
export function refreshBadges(): Promise<void> {
  if (!state.user) return Promise.resolve()
  if (loading) return loading
  arrivedMeanwhile = []
  loading = http
    .unread()
    .then((items) => {
      badges.clear()
      for (const i of items)
        if (i.room !== onScreen)
          badges.set(i.room, { unread: i.unread, mentions: i.mentions, lastSeq: i.lastSeq })
      // A room in the answer counted up to its lastSeq; a room not in it had nothing unread then.
      for (const m of arrivedMeanwhile ?? []) count(m)
    })
    .catch(() => {})
    .finally(() => {
      loading = null
      arrivedMeanwhile = null
    })
  return loading
}

function onMessage(m: Message) {
  arrivedMeanwhile?.push(m)
  count(m)
}
function count(m: Message) {
  const me = state.user?.id
  if (!me || m.from?.id === me || m.room === onScreen || m.kind === 'system') return
  const b = badges.get(m.room) ?? { unread: 0, mentions: 0, lastSeq: 0 }
  if (m.seq <= b.lastSeq) return
  badges.set(m.room, {
    unread: b.unread + 1,
    mentions: b.mentions + (m.mentions.includes(me) ? 1 : 0),
    lastSeq: m.seq,
  })
}
function onRemoved(f: RemovedFrame) {
  followed.delete(f.room)
  badges.delete(f.room)
}
function onRead(f: ReadFrame) {
  const b = badges.get(f.room)
  if (!b) return
  if (f.seq >= b.lastSeq) badges.delete(f.room)
  else void refreshBadges()
}

eachSocket((s: ChatSocket) => {
  following = s
  followed.clear()
  badges.clear()
  s.on('message', onMessage)
  s.on('read', onRead)
  s.on('removed', onRemoved)
  s.on('open', () => void refreshBadges())
  void followMine(s)
})
setInterval(() => void refreshBadges(), POLL_MS)
window.addEventListener('focus', () => void refreshBadges())

/** Badges of all rooms together, for the navigation. */
export function totalUnread(): number {
  let n = 0
  for (const b of badges.values()) n += b.unread
  return n
}
