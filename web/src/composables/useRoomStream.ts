// A room's messages as the page shows them: the newest page of history (or the page around one
// message: a search hit, a pin), older pages as one scrolls to the top, newer ones as one scrolls
// down from such a page, live messages in seq order (ChatSocket re-joins with `since` after any
// reconnect, so nothing is missed or repeated), edits, deletions and reactions as `update`
// frames in the room's order, the reader's own reactions, and the read marker following what is
// on screen (the badges elsewhere clear).
import {
  backoffDelay,
  type ChatSocket,
  defaultBackoff,
  type HistoryPage,
  type HistoryQuery,
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

/** How long the message jumped to stays marked. */
const FLASH_MS = 3000

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
  /** How to ask for the page before the oldest shown; null at the beginning of the room. */
  const older = ref<HistoryQuery | null>(null)
  const loadingOlder = ref(false)
  /**
   * After a jump to a message: the cursor of the page after the newest shown, null once the
   * newest messages are on the page. Until then live messages wait in `later` (the page does not
   * have what comes between), and join the list when the reader has paged down to them.
   */
  const newer = ref<string | null>(null)
  const loadingNewer = ref(false)
  let later: Message[] = []
  /** The message jumped to, marked for a moment. */
  const flashed = ref<number | null>(null)
  let flashTimer: ReturnType<typeof setTimeout> | undefined
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
    if (newer.value !== null) {
      if (!later.some((x) => x.seq === m.seq)) later.push(m)
      deps.added(m)
      return
    }
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
    later = later.map((m) => (m.seq === target ? f.message : m))
    markSeen()
  }

  /** The page's messages replace those shown, with what was delivered live and is not in it. */
  function showPage(page: HistoryPage, arrived: Message[]) {
    seen.clear()
    const items = [...page.items, ...arrived.filter((m) => !page.items.some((p) => p.seq === m.seq))]
    for (const m of items) {
      seen.add(m.seq)
      remember(m)
    }
    messages.value = items.sort((a, b) => a.seq - b.seq)
  }
  /** The newest page of history, merged with what was delivered meanwhile; returns the page. */
  async function loadNewest() {
    const page = await http.history(props.id, { limit: 50 })
    // The socket may follow the room already (the room list's badges): what it delivered while
    // the page loaded stays, whether the page has it or not. After a jump, that is `later`.
    showPage(page, newer.value === null ? messages.value : later)
    newer.value = null
    later = []
    older.value = page.nextCursor === null ? null : { before: Number(page.nextCursor) }
    return page
  }
  /**
   * The page centred on a message (a search hit, a pin), scrolled to it and marked a moment;
   * the pages before and after it follow as the reader scrolls (`prevCursor`, `nextCursor`).
   */
  async function loadAround(seq: number) {
    const page = await http.history(props.id, { around: seq, limit: 50 })
    const arrived = newer.value === null ? messages.value : later
    const last = page.items.at(-1)?.seq ?? 0
    // Live messages already past the page: kept for when the reader gets there.
    later = page.nextCursor ? arrived.filter((m) => m.seq > last) : []
    showPage(page, page.nextCursor ? [] : arrived)
    newer.value = page.nextCursor
    older.value = page.prevCursor ? { cursor: page.prevCursor } : null
    await nextTick()
    const el = list.value?.querySelector<HTMLElement>(`[data-seq="${seq}"]`)
    el?.scrollIntoView({ block: 'center' })
    clearTimeout(flashTimer)
    flashed.value = seq
    flashTimer = setTimeout(() => {
      flashed.value = null
    }, FLASH_MS)
    return page
  }
  /** The page after the newest shown, after a jump; past the last one, what came live joins. */
  async function loadNewer() {
    if (newer.value === null || loadingNewer.value) return
    loadingNewer.value = true
    try {
      const page = await http.history(props.id, { cursor: newer.value, limit: 50 })
      const fresh = page.items.filter((m) => !seen.has(m.seq))
      if (page.nextCursor === null) {
        fresh.push(...later.filter((m) => !seen.has(m.seq) && !fresh.some((f) => f.seq === m.seq)))
        later = []
      }
      for (const m of fresh) {
        seen.add(m.seq)
        remember(m)
      }
      messages.value = [...messages.value, ...fresh].sort((a, b) => a.seq - b.seq)
      newer.value = page.nextCursor
    } catch (err) {
      error.value = describe(err)
    } finally {
      loadingNewer.value = false
    }
  }
  async function loadOlder() {
    if (older.value === null || loadingOlder.value) return
    loadingOlder.value = true
    try {
      const el = list.value
      const before = el ? el.scrollHeight - el.scrollTop : 0
      const query = older.value
      const page = await http.history(props.id, { ...query, limit: 50 })
      const fresh = page.items.filter((m) => !seen.has(m.seq))
      for (const m of fresh) {
        seen.add(m.seq)
        remember(m)
      }
      messages.value = [...fresh, ...messages.value]
      // The newest page's cursor is a seq to go `before`; an around page's, an opaque cursor.
      if (query.cursor !== undefined) older.value = page.prevCursor ? { cursor: page.prevCursor } : null
      else older.value = page.nextCursor === null ? null : { before: Number(page.nextCursor) }
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
  async function follow(gone: () => boolean, lastSeq = 0): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        // After a jump the page ends before the newest: live from the room's end, the rest by pages.
        const since =
          newer.value === null ? (messages.value.at(-1)?.seq ?? 0) : Math.max(lastSeq, later.at(-1)?.seq ?? 0)
        await live.join(props.id, { since })
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
    newer,
    loadingNewer,
    flashed,
    myReactions,
    markSeen,
    onMessage,
    onUpdate,
    loadNewest,
    loadAround,
    loadNewer,
    loadOlder,
    follow,
    react,
    edit,
    remove,
  }
}
