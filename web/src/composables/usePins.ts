// A room's pinned messages: read when the page opens and again at each `pin` frame (the frame
// names the message, not who pinned it nor when, which the list shows), their texts kept current
// by `update` frames; pinning and unpinning for the room's creator and admins, a refusal (the
// room's 50 pins, a deleted message) said in words.
import type { Pin, PinFrame, UpdateFrame } from '@roomchat/client'
import { computed, type Ref, ref } from 'vue'
import { describe, http } from '../session.ts'
import type { Message } from '../types.ts'

export function usePins(props: { id: string }, error: Ref<string>) {
  const pins = ref<Pin[]>([])
  const loaded = ref(false)
  const pinnedSeqs = computed(() => new Set(pins.value.map((p) => p.message.seq)))

  // One read at a time; a frame that comes during one asks for one more after it.
  let reading: Promise<void> | null = null
  let again = false
  function load(): Promise<void> {
    if (reading) {
      again = true
      return reading
    }
    reading = http
      .pins(props.id)
      .then((items) => {
        pins.value = items
        loaded.value = true
      })
      .catch(() => {})
      .finally(() => {
        reading = null
        if (again) {
          again = false
          void load()
        }
      })
    return reading
  }

  function onPin(f: PinFrame) {
    if (f.room !== props.id) return
    // Gone at once; a new pin shows once the list says who pinned it.
    if (!f.pinned) pins.value = pins.value.filter((p) => p.message.seq !== f.message.seq)
    void load()
  }
  function onUpdate(f: UpdateFrame) {
    if (f.room !== props.id || !pinnedSeqs.value.has(f.message.seq)) return
    pins.value = pins.value.map((p) => (p.message.seq === f.message.seq ? { ...p, message: f.message } : p))
  }

  async function setPinned(m: Message, on: boolean) {
    error.value = ''
    try {
      if (on) await http.pin(props.id, m.seq)
      else await http.unpin(props.id, m.seq)
    } catch (err) {
      error.value = describe(err)
    }
  }

  return { pins, loaded, pinnedSeqs, load, onPin, onUpdate, setPinned }
}
