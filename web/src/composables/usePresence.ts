// Who is in a room with the reader: who is online, who is typing (for a few seconds after each
// notice; never someone the reader blocks), and the names to show for them, learned from
// members, messages or asked once.
import type { PresenceFrame, TypingNotice } from '@roomchat/client'
import { computed, type Ref, reactive, ref } from 'vue'
import { http } from '../session.ts'
import { useBlocks } from './useBlocks.ts'

const TYPING_SHOWN_MS = 4000

export function usePresence(props: { id: string }, me: Ref<string | undefined>) {
  const online = ref<string[]>([])
  const typing = reactive(new Map<string, number>())
  const names = reactive(new Map<string, string>())

  const nameOf = (id: string) => names.get(id) ?? 'someone'
  const { blockedIds } = useBlocks()
  const typingNames = computed(() =>
    [...typing.keys()].filter((id) => id !== me.value && !blockedIds.value.has(id)).map(nameOf),
  )
  const onlineNames = computed(() => online.value.map(nameOf))

  /** Someone who joined after the member list was read: ask once who they are. */
  const asked = new Set<string>()
  function learnName(id: string) {
    if (names.has(id) || asked.has(id)) return
    asked.add(id)
    http
      .user(id)
      .then((user) => names.set(id, user.displayName))
      .catch(() => asked.delete(id))
  }

  function onPresence(f: Pick<PresenceFrame, 'room' | 'online'>) {
    if (f.room !== props.id) return
    online.value = f.online
    for (const id of f.online) learnName(id)
  }
  function onTyping(f: TypingNotice) {
    if (f.room !== props.id) return
    learnName(f.user)
    typing.set(f.user, Date.now())
    setTimeout(() => {
      if (Date.now() - (typing.get(f.user) ?? 0) >= TYPING_SHOWN_MS) typing.delete(f.user)
    }, TYPING_SHOWN_MS)
  }

  return { online, typing, names, typingNames, onlineNames, onPresence, onTyping }
}
