// File uploads (`POST /api/rooms/:id/files`, `PUT /api/me/avatar`: multipart, one part named `file`). Where the
// platform has XMLHttpRequest (browsers, React Native) and progress is asked for, the upload
// goes through it, since fetch cannot report upload progress; elsewhere through fetch, with one
// progress report at the end.
import { ApiError, ClientCodes } from './errors.ts'
import { answerError, type HttpTransport } from './http-transport.ts'
import type { FileInfo, Message } from './wire.ts'

export interface UploadAnswer {
  file: FileInfo
  message: Message
}

export interface UploadProgress {
  /** Bytes sent so far (of the whole multipart body). */
  loaded: number
  /** Bytes to send in all; 0 when the platform does not know. */
  total: number
}

export interface UploadOptions {
  /** The file's name (a File's own name otherwise). */
  name?: string
  onProgress?: (progress: UploadProgress) => void
  signal?: AbortSignal
}

/** What is used of XMLHttpRequest: the DOM's type is not assumed (Node has none). */
interface XhrLike {
  open(method: string, url: string): void
  setRequestHeader(name: string, value: string): void
  getResponseHeader(name: string): string | null
  send(body: FormData): void
  abort(): void
  withCredentials: boolean
  readonly status: number
  readonly responseText: string
  readonly upload: { onprogress: ((event: ProgressLike) => void) | null }
  onload: (() => void) | null
  onerror: (() => void) | null
  onabort: (() => void) | null
}
interface ProgressLike {
  loaded: number
  total: number
  lengthComputable: boolean
}
type XhrConstructor = new () => XhrLike

export function uploadForm(file: Blob, name?: string): FormData {
  const form = new FormData()
  const own = (file as { name?: unknown }).name
  form.append('file', file, name ?? (typeof own === 'string' && own ? own : 'file'))
  return form
}

export async function upload<T = UploadAnswer>(
  transport: HttpTransport,
  path: string,
  file: Blob,
  options: UploadOptions = {},
  method: 'POST' | 'PUT' = 'POST',
): Promise<T> {
  const form = uploadForm(file, options.name)
  const Xhr = (globalThis as { XMLHttpRequest?: XhrConstructor }).XMLHttpRequest
  if (options.onProgress && Xhr) return viaXhr<T>(Xhr, transport, method, path, form, options)
  const answer = await transport.json<T>(method, path, form, options.signal ? { signal: options.signal } : {})
  options.onProgress?.({ loaded: file.size, total: file.size })
  return answer
}

function viaXhr<T>(
  Xhr: XhrConstructor,
  transport: HttpTransport,
  method: string,
  path: string,
  form: FormData,
  options: UploadOptions,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new Xhr()
    xhr.open(method, transport.url(path))
    for (const [k, v] of Object.entries(transport.headers({ accept: 'application/json' })))
      xhr.setRequestHeader(k, v)
    xhr.withCredentials = transport.credentials === 'include'
    xhr.upload.onprogress = (event) =>
      options.onProgress?.({ loaded: event.loaded, total: event.lengthComputable ? event.total : 0 })
    const onAbort = () => xhr.abort()
    options.signal?.addEventListener('abort', onAbort, { once: true })
    const done = () => options.signal?.removeEventListener('abort', onAbort)
    xhr.onload = () => {
      done()
      if (xhr.status >= 400) {
        reject(answerError(xhr.status, xhr.responseText, xhr.getResponseHeader('retry-after')))
        return
      }
      try {
        resolve(JSON.parse(xhr.responseText) as T)
      } catch {
        reject(new ApiError(xhr.status, ClientCodes.NETWORK, 'the answer is not JSON', xhr.responseText))
      }
    }
    xhr.onerror = () => {
      done()
      reject(new ApiError(0, ClientCodes.NETWORK, 'the upload failed', null))
    }
    xhr.onabort = () => {
      done()
      reject(new ApiError(0, ClientCodes.ABORTED, 'the upload was aborted', null))
    }
    xhr.send(form)
  })
}
