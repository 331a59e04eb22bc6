// Short confirmations that need no answer ("Reported, thank you"), shown a few seconds in the
// corner and read out by screen readers (ToastHost.vue), whatever page the person is on.
import { ref } from 'vue'

export interface Toast {
  id: number
  text: string
  kind: 'ok' | 'info' | 'error'
}

const SHOWN_MS = 5000
let ids = 0
export const toasts = ref<Toast[]>([])

export function dismissToast(id: number): void {
  toasts.value = toasts.value.filter((t) => t.id !== id)
}

export function toast(text: string, kind: Toast['kind'] = 'ok'): void {
  const id = ++ids
  toasts.value = [...toasts.value, { id, text, kind }]
  setTimeout(() => dismissToast(id), SHOWN_MS)
}
