// When to offer notifications: never at first load (a permission asked before people know why
// is refused, and a refusal is final), but when the first mention of them or reply to them
// arrives while the app is open: the moment a notification would have helped. The banner
// (PushPrompt.vue) then asks; "Not now" is remembered in this browser and the prompt is not
// shown again (the settings page still has the switch).
import type { ChatSocket, Message } from '@roomchat/client'
import { ref } from 'vue'
import { push, startPush } from './push.ts'
import { eachSocket, state } from './session.ts'

const DISMISSED_KEY = 'roomchat.push.notNow'

export const promptShown = ref(false)

/** Whether this message is about the signed-in user: a mention of them or a reply to them. */
export function concernsMe(m: Message, me: string): boolean {
  if (!m.from || m.from.id === me || m.kind === 'system') return false
  return m.mentions.includes(me) || m.replyTo?.from?.id === me
}

function worthAsking(): boolean {
  return (
    push.supported &&
    push.available === true &&
    !push.subscribed &&
    // Granted already (a browser that allows this site) still needs the subscription; denied is final.
    push.permission !== 'denied' &&
    !localStorage.getItem(DISMISSED_KEY)
  )
}

export function notNow() {
  localStorage.setItem(DISMISSED_KEY, '1')
  promptShown.value = false
}

eachSocket((s: ChatSocket) => {
  promptShown.value = false
  void startPush().catch(() => {})
  s.on('message', (m: Message) => {
    const me = state.user?.id
    if (me && !promptShown.value && concernsMe(m, me) && worthAsking()) promptShown.value = true
  })
})
