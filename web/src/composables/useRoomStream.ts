// A room's messages as the page shows them: the newest page of history, older pages as one
// scrolls to the top, live messages in seq order (ChatSocket re-joins with `since` after any
// reconnect, so nothing is missed or repeated), edits, deletions and reactions as `update`
// frames in the room's order, the reader's own reactions, and the read marker following what is
// on screen (the badges elsewhere clear).
import {
  backoffDelay,
  type ChatSocket,
  defaultBackoff,
  isTemporary,
  type UpdateFrame,
} from '@roomchat/client'
import { nextTick, type Ref, reactive, ref } from 'vue'
import { describe, http } from '../session.ts'
import type { Message } from '../types.ts'

/** The message list's scrolling: whether the newest messages are in view, and going there. */
export function listScroll(list: Ref<HTMLElement | null>) {
  function nearBottom() {
    const el = list.value
    return !el || el.scrollHeight - el.scrollTop - el.clientHeight < 80
  }
  async function toBottom() {
    await nextTick()
    if (list.value) list.value.scrollTop = list.value.scrollHeight
  }
  return { nearBottom, toBottom }
}

interface RoomStreamDeps {
  live: ChatSocket
  me: Ref<string | undefined>
  list: Ref<HTMLElement | null>
  scroll: ReturnType<typeof listScroll>
  removed: Ref<boolean>
  error: Ref<string>
  /** The presence's names: a message names its author. */
  names: Map<string, string>
  /** A live message was added to the page (what was waiting for it can stop). */
  added(m: Message): void
}

export function useRoomStream(props: { id: string }, deps: RoomStreamDeps) {
  const { live, me, list, scroll, removed, error, names } = deps
  const messages = ref<Message[]>([])
  /** The cursor of the page before the oldest shown; null at the beginning of the room. */
  const older = ref<number | null>(null)
  const loadingOlder = ref(false)
  const seen = new Set<number>()
  /** My emojis per message seq: update frames carry `mine: false`, `change.by` says who it was. */
  const myReactions = reactive(new Map<number, Set<string>>())
  /** The last seq of the room this page has seen (messages and updates): the read marker goes there. */
  let lastSeen = 0
  let lastMarked = 0

  function remember(m: Message) {
    if (m.from) names.set(m.from.id, m.from.displayName)
    lastSeen = Math.max(lastSeen, m.seq)
    const mine = m.reactions.filter((r) => r.mine).map((r) => r.emoji)
    if (mine.length) myReactions.set(m.seq, new Set(mine))
  }
  /**
   * Moves the read marker to what is on screen: the window shown and the newest messages in view.
   * One request at a time; what was seen meanwhile goes in the next.
   */
  let marking = false
  function markSeen() {
    if (marking || document.visibilityState !== 'visible' || !scroll.nearBottom() || lastSeen <= lastMarked)
      return
    const seq = lastSeen
    marking = true
    http.markRead(props.id, seq).then(
      () => {
        marking = false
        lastMarked = Math.max(lastMarked, seq)
        if (lastSeen > lastMarked && !removed.value) markSeen()
      },
      () => {
        // Tried again on the next message, scroll or return to the window.
        marking = false
      },
    )
  }

  function onMessage(m: Message) {
    if (m.room !== props.id || seen.has(m.seq)) return
    const stick = scroll.nearBottom() || m.from?.id === me.value
    seen.add(m.seq)
    remember(m)
    messages.value.push(m)
    deps.added(m)
    if (stick) void scroll.toBottom().then(markSeen)
  }
  function onUpdate(f: UpdateFrame) {
    if (f.room !== props.id) return
    lastSeen = Math.max(lastSeen, f.seq)
    const target = f.message.seq
    const by = f.change?.by
    if (by && by === me.value && f.change?.emoji) {
      const set = myReactions.get(target) ?? new Set<string>()
      if (f.change.kind === 'react') set.add(f.change.emoji)
      if (f.change.kind === 'unreact') set.delete(f.change.emoji)
      myReactions.set(target, set)
    }
    if (f.message.deleted) myReactions.delete(target)
    const i = messages.value.findIndex((m) => m.seq === target)
    if (i >= 0) messages.value[i] = f.message
    markSeen()
  }

  /** The newest page of history, merged with what was delivered meanwhile; returns the page. */
  async function loadNewest() {
    const page = await http.history(props.id, { limit: 50 })
    // The socket may follow the room already (the room list's badges): what it delivered while
    // the page loaded stays, whether the page has it or not.
    const arrived = messages.value.filter((m) => !page.items.some((p) => p.seq === m.seq))
    for (const m of page.items) {
      seen.add(m.seq)
      remember(m)
    }
    messages.value = [...page.items, ...arrived].sort((a, b) => a.seq - b.seq)
    older.value = page.nextCursor === null ? null : Number(page.nextCursor)
    return page
  }
  async function loadOlder() {
    if (older.value === null || loadingOlder.value) return
    loadingOlder.value = true
    try {
      const el = list.value
      const before = el ? el.scrollHeight - el.scrollTop : 0
      const page = await http.history(props.id, { before: older.value, limit: 50 })
      const fresh = page.items.filter((m) => !seen.has(m.seq))
      for (const m of fresh) {
        seen.add(m.seq)
        remember(m)
      }
      messages.value = [...fresh, ...messages.value]
      older.value = page.nextCursor === null ? null : Number(page.nextCursor)
      await nextTick()
      if (el) el.scrollTop = el.scrollHeight - before
    } catch (err) {
      error.value = describe(err)
    } finally {
      loadingOlder.value = false
    }
  }

  /**
   * Live delivery from the last message shown. A refusal that passes (an instance draining, the
   * store not answering for a moment) is tried again after a growing delay while the page is
   * open: given up, the room would stay silent on this page until it is opened again.
   */
  async function follow(gone: () => boolean): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await live.join(props.id, { since: messages.value.at(-1)?.seq ?? 0 })
        return
      } catch (err) {
        if (gone() || !isTemporary(err)) throw err
        await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, defaultBackoff)))
        if (gone()) return
      }
    }
  }

  async function react(m: Message, emoji: string, on: boolean) {
    error.value = ''
    try {
      if (on) await http.react(props.id, m.seq, emoji)
      else await http.unreact(props.id, m.seq, emoji)
      const set = myReactions.get(m.seq) ?? new Set<string>()
      if (on) set.add(emoji)
      else set.delete(emoji)
      myReactions.set(m.seq, set)
    } catch (err) {
      error.value = describe(err)
    }
  }
  async function edit(m: Message, body: string) {
    error.value = ''
    try {
      await http.editMessage(props.id, m.seq, body)
    } catch (err) {
      error.value = describe(err)
    }
  }
  async function remove(m: Message) {
    error.value = ''
    try {
      await http.deleteMessage(props.id, m.seq)
    } catch (err) {
      error.value = describe(err)
    }
  }

  return {
    messages,
    older,
    loadingOlder,
    myReactions,
    markSeen,
    onMessage,
    onUpdate,
    loadNewest,
    loadOlder,
    follow,
    react,
    edit,
    remove,
  }
}
