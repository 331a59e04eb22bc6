// Writing to a room: the message box, replying to a message, the typing notice (at most one
// every two seconds), and sending with optimistic display: a message shows as "sending…" until
// the room delivers it, and a failed one is retried under the same clientMsgId (the server
// stores it once).
import { ChatError, type ChatSocket, newClientMsgId } from '@roomchat/client'
import { nextTick, reactive, ref } from 'vue'
import { describe } from '../session.ts'
import type { Message } from '../types.ts'

const TYPING_EVERY_MS = 2000

export interface Pending {
  clientMsgId: string
  text: string
  replyTo: number | undefined
  failed: string
}

export function useComposer(props: { id: string }, live: ChatSocket, toBottom: () => Promise<void>) {
  const text = ref('')
  const pending = ref<Pending[]>([])
  const replyingTo = ref<Message | null>(null)
  /** A direct room the server closed (403 BLOCKED): one of the two blocks the other. */
  const closed = ref(false)
  let lastTypingSent = 0

  async function send(p: Pending) {
    p.failed = ''
    try {
      await live.send(props.id, p.text, {
        clientMsgId: p.clientMsgId,
        timeoutMs: 60_000,
        ...(p.replyTo !== undefined ? { replyTo: p.replyTo } : {}),
      })
    } catch (err) {
      const entry = pending.value.find((x) => x.clientMsgId === p.clientMsgId)
      if (!entry) return
      if (err instanceof ChatError && err.code === 'BLOCKED') closed.value = true
      entry.failed =
        err instanceof ChatError && err.code === 'BLOCKED'
          ? 'Not sent: this conversation is closed, one of you has blocked the other.'
          : err instanceof ChatError && err.code === 'MUTED'
            ? 'You are muted in this room: a moderator has stopped your messages for a while.'
            : err instanceof ChatError
              ? err.message
              : describe(err)
    }
  }
  function submit() {
    const body = text.value.trim()
    if (!body) return
    const p = reactive<Pending>({
      clientMsgId: newClientMsgId(),
      text: body,
      replyTo: replyingTo.value?.seq,
      failed: '',
    })
    pending.value.push(p)
    text.value = ''
    replyingTo.value = null
    void toBottom()
    void send(p)
  }
  function onInput() {
    const now = Date.now()
    if (now - lastTypingSent > TYPING_EVERY_MS) {
      lastTypingSent = now
      live.typing(props.id)
    }
  }
  async function reply(m: Message) {
    replyingTo.value = m
    await nextTick()
    document.querySelector<HTMLElement>('.composer [name=message]')?.focus()
  }
  /** Messages of the room stored (delivered live, or read with history): no longer on their way. */
  function stored(clientMsgIds: Set<string | undefined>) {
    pending.value = pending.value.filter((p) => !clientMsgIds.has(p.clientMsgId))
  }

  return { text, pending, replyingTo, closed, send, submit, onInput, reply, stored }
}
