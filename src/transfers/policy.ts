// What a client may say about a file, made safe: the name it gave, the type it declared, the
// range it asks for, and how a download is labelled so a file can never become a page or a
// script on our origin. Pure functions, no I/O.
import type { ByteRange } from '../files/files.ts'

export const NAME_MAX = 200
const EXT_MAX = 16
export const FALLBACK_NAME = 'file'

/**
 * A display name from a client's file name: the last path component only, no control,
 * format (bidi overrides, zero-width) or separator characters, none of `"*:<>?|` (unsafe in
 * headers or on common file systems), spaces collapsed, no leading dots (no `..`, no hidden
 * files), at most NAME_MAX code points (keeping a short extension). Empty becomes "file".
 */
export function sanitizeName(raw: string | undefined | null): string {
  let s = String(raw ?? '').normalize('NFC')
  s = s.split(/[/\\]/).pop() ?? ''
  s = s.replace(/\s+/gu, ' ')
  s = s.replace(/[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}]/gu, '')
  s = s.replace(/["*:<>?|]/g, '_')
  s = s
    .trim()
    .replace(/^\.+/, '')
    .replace(/[. ]+$/, '')
    .trim()
  const chars = [...s]
  if (chars.length > NAME_MAX) {
    const dot = s.lastIndexOf('.')
    const ext = dot > 0 ? [...s.slice(dot)] : []
    const keep = ext.length > 1 && ext.length <= EXT_MAX ? ext : []
    s = chars.slice(0, NAME_MAX - keep.length).join('') + keep.join('')
  }
  return s || FALLBACK_NAME
}

const TOKEN = '[a-z0-9][a-z0-9!#$&^_.+-]{0,126}'
const MIME = new RegExp(`^${TOKEN}/${TOKEN}$`)
export const OCTET_STREAM = 'application/octet-stream'

/** The declared type, lower-cased and without parameters; anything malformed is octet-stream. */
export function normalizeContentType(raw: string | undefined | null): string {
  const essence = String(raw ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase()
  return MIME.test(essence) ? essence : OCTET_STREAM
}

/**
 * Raster image types a browser can show but never run. Only these are served as themselves
 * and inline; SVG (which can carry script), HTML and everything else is served as
 * octet-stream, as an attachment.
 */
export const INLINE_TYPES: ReadonlySet<string> = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
])

export interface Presentation {
  contentType: string
  inline: boolean
}

/** How a file of this declared type is served. Nothing is sniffed. */
export function presentation(declared: string): Presentation {
  return INLINE_TYPES.has(declared)
    ? { contentType: declared, inline: true }
    : { contentType: OCTET_STREAM, inline: false }
}

/** RFC 5987 value-chars: everything outside attr-char is percent-encoded (UTF-8). */
const encode5987 = (s: string) =>
  encodeURIComponent(s).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

/**
 * `attachment` (or `inline`) with an ASCII `filename` for old clients and, when the name is
 * not plain ASCII, `filename*=UTF-8''...` (RFC 6266 / 5987) with the real one.
 */
export function contentDisposition(name: string, inline: boolean): string {
  const ascii = name.replace(/[^\x20-\x7e]/gu, '_').replace(/["\\]/g, '_') || FALLBACK_NAME
  const kind = inline ? 'inline' : 'attachment'
  return ascii === name
    ? `${kind}; filename="${ascii}"`
    : `${kind}; filename="${ascii}"; filename*=UTF-8''${encode5987(name)}`
}

/**
 * Reads a `Range` header against a file of `size` bytes:
 * - `null`: no range to honour (no header, another unit, or several ranges): send it all;
 * - `'unsatisfiable'`: malformed, or outside the file: answer 416;
 * - a range, both ends inclusive and within the file.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (header === undefined) return null
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(header)
  if (!m) return null
  const spec = m[1]!.trim()
  if (spec.includes(',')) return null
  const r = /^(\d*)\s*-\s*(\d*)$/.exec(spec)
  if (!r || (r[1] === '' && r[2] === '')) return 'unsatisfiable'
  if (r[1] === '') {
    // A suffix: the last N bytes.
    const n = Number(r[2])
    if (n === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - n), end: size - 1 }
  }
  const start = Number(r[1])
  const end = r[2] === '' ? size - 1 : Math.min(Number(r[2]), size - 1)
  if (!Number.isSafeInteger(start) || start >= size || end < start) return 'unsatisfiable'
  return { start, end }
}
