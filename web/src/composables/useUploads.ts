// Sending a file to a room: one upload at a time, its progress shown as it goes (the client
// reports the bytes sent), and a failure said where the page says errors.
import type { Ref } from 'vue'
import { ref } from 'vue'
import { describe, http } from '../session.ts'

export function useUploads(props: { id: string }, error: Ref<string>) {
  const upload = ref<{ name: string; progress: number } | null>(null)

  async function onFile(e: Event) {
    const input = e.target as HTMLInputElement
    const file = input.files?.[0]
    if (!file) return
    error.value = ''
    upload.value = { name: file.name, progress: 0 }
    try {
      await http.uploadFile(props.id, file, {
        onProgress: ({ loaded, total }) => {
          if (upload.value && total) upload.value.progress = loaded / total
        },
      })
    } catch (err) {
      error.value = describe(err)
    } finally {
      upload.value = null
      // The same file may be picked again.
      input.value = ''
    }
  }

  return { upload, onFile }
}
