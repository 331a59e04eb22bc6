// ChatHttp's routes of files: uploads to a room, and downloads with the client's own auth.
import { ApiError, ClientCodes } from './errors.ts'
import { enc } from './http-base.ts'
import { RoomRoutes } from './http-rooms.ts'
import { answerError, networkError } from './http-transport.ts'
import { type UploadAnswer, type UploadOptions, upload } from './upload.ts'
import type { OwnUser } from './wire.ts'

/** A downloaded file: its bytes and what the server said about them. */
export interface DownloadedFile {
  blob: Blob
  /** From Content-Disposition; null when absent. */
  name: string | null
  contentType: string
}

export class FileRoutes extends RoomRoutes {
  // ------------------------------------------------------------------ files

  /**
   * Uploads a file to a room (members only); it becomes a `file` message. With `onProgress`,
   * browsers report the bytes sent as they go. 413 TOO_LARGE past the server's UPLOAD_MAX_BYTES.
   */
  uploadFile(room: string, file: Blob, options: UploadOptions = {}): Promise<UploadAnswer> {
    return upload(this.transport, `/api/rooms/${enc(room)}/files`, file, options)
  }

  /**
   * Makes the picture the signed-in user's avatar (PNG, JPEG, WebP or GIF; the server stores a
   * 256×256 square without its metadata) and answers the own view with its new `avatarUrl`.
   * 400 INVALID_IMAGE for anything else, 413 TOO_LARGE past the server's AVATAR_MAX_BYTES.
   */
  async setAvatar(file: Blob, options: UploadOptions = {}): Promise<OwnUser> {
    return (await upload<{ user: OwnUser }>(this.transport, '/api/me/avatar', file, options, 'PUT')).user
  }

  /** Back to initials: `avatarUrl` null. */
  async removeAvatar(): Promise<OwnUser> {
    return (await this.request<{ user: OwnUser }>('DELETE', '/api/me/avatar')).user
  }

  /**
   * The URL of a file, for `<img src>` or `<a href download>`: it works where the cookie is sent
   * (same-site). A client on Bearer tokens (cross-site, native) downloads with downloadFile().
   */
  fileUrl(id: string): string {
    return this.transport.url(`/api/files/${enc(id)}`)
  }

  /** Downloads a file with this client's auth (Bearer or cookie); `range` asks for bytes start..end. */
  async downloadFile(
    id: string,
    options: { range?: { start: number; end?: number }; signal?: AbortSignal } = {},
  ): Promise<DownloadedFile> {
    const headers: Record<string, string> = {}
    if (options.range) headers.range = `bytes=${options.range.start}-${options.range.end ?? ''}`
    return this.download(`/api/files/${enc(id)}`, headers, options.signal)
  }

  /**
   * The URL of the signed-in user's export (a zip of the profile, sessions, messages, direct
   * conversations, wall posts and files), for `<a href download>` where the cookie is sent.
   */
  exportUrl(): string {
    return this.transport.url('/api/me/export')
  }

  /**
   * Downloads the export with this client's auth: the zip and its file name
   * (`roomchat-export-<username>-<date>.zip`). 429 RATE_LIMITED past the server's
   * RATE_EXPORTS_PER_DAY.
   */
  exportData(options: { signal?: AbortSignal } = {}): Promise<DownloadedFile> {
    return this.download('/api/me/export', {}, options.signal)
  }

  private async download(
    path: string,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<DownloadedFile> {
    const res = await this.transport.send('GET', path, undefined, {
      headers,
      ...(signal ? { signal } : {}),
    })
    if (res.status >= 400) throw answerError(res.status, await res.text(), res.headers.get('retry-after'))
    if (!res.blob) throw new ApiError(res.status, ClientCodes.NETWORK, 'this fetch gives no blob()', null)
    let blob: Blob
    try {
      blob = await res.blob()
    } catch (err) {
      throw networkError(err)
    }
    return {
      blob,
      name: fileNameOf(res.headers.get('content-disposition')),
      contentType: res.headers.get('content-type') ?? 'application/octet-stream',
    }
  }
}

/** The file name of a Content-Disposition header: `filename*=UTF-8''…` first, then `filename="…"`. */
export function fileNameOf(header: string | null): string | null {
  if (!header) return null
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header)
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1].trim())
    } catch {
      // fall through to the plain name
    }
  }
  const plain = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(header) ?? /filename\s*=\s*([^;]+)/i.exec(header)
  return plain?.[1] ? plain[1].replace(/\\(.)/g, '$1').trim() : null
}
