// File upload with progress. The client package's ChatHttp speaks fetch, which reports no
// upload progress, so this one request uses XMLHttpRequest (same origin: the cookie
// authenticates it). The server posts the `file` message to the room itself.
import { ApiError } from '@roomchat/client'
import type { Message } from './types.ts'

export function uploadFile(
  room: string,
  file: File,
  onProgress: (fraction: number) => void,
): Promise<Message> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', `/api/rooms/${encodeURIComponent(room)}/files`)
    xhr.responseType = 'json'
    xhr.setRequestHeader('accept', 'application/json')
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total)
    }
    xhr.onload = () => {
      const body = xhr.response as { message?: Message } | null
      if (xhr.status === 201 && body?.message) return resolve(body.message)
      const err = (xhr.response ?? {}) as { code?: string; message?: string }
      reject(
        new ApiError(xhr.status, err.code ?? `HTTP_${xhr.status}`, err.message ?? `HTTP ${xhr.status}`, err),
      )
    }
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'the upload failed: network error', null))
    const form = new FormData()
    form.append('file', file, file.name)
    xhr.send(form)
  })
}
