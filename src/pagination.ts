// Keyset (cursor) pagination shared by every list of the API. A cursor is the opaque,
// base64url-encoded sort key of the last item of a page; the next page starts strictly after
// it, so items inserted between two requests are never repeated nor make others skip.
import { invalid } from './errors.ts'

import { DEFAULT_LIMIT, MAX_LIMIT } from './schemas/common.ts'

export { DEFAULT_LIMIT, MAX_LIMIT }

export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

export type CursorKey = (string | number)[]

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url')
}

/** Decodes a cursor whose key has the given element types; anything else is 400 VALIDATION. */
export function decodeCursor<K extends CursorKey>(
  cursor: string | undefined,
  shape: ('string' | 'number')[],
): K | null {
  if (cursor === undefined || cursor === '') return null
  let key: unknown
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw invalid('Malformed cursor')
  }
  if (!Array.isArray(key) || key.length !== shape.length || !key.every((v, i) => typeof v === shape[i])) {
    throw invalid('Malformed cursor')
  }
  return key as K
}

export const clampLimit = (limit: number | undefined) =>
  Math.min(Math.max(limit ?? DEFAULT_LIMIT, 1), MAX_LIMIT)

export interface PageOptions {
  /**
   * The extra row comes first: rows read backwards but returned oldest first (a room's history
   * going back in time), so the page is the last `limit` rows and the cursor is the first kept.
   */
  extraFirst?: boolean
  /** How the cursor is written; opaque by default (encodeCursor). */
  encode?: (key: CursorKey) => string
}

/**
 * Turns `limit + 1` fetched rows into a page: the extra row only tells that there is more.
 * `keyOf` gives the sort key of an item, encoded as the next cursor.
 */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  keyOf: (row: R) => CursorKey,
  map: (row: R) => T,
  options: PageOptions = {},
): Page<T> {
  const more = rows.length > limit
  const kept = !more ? rows : options.extraFirst ? rows.slice(rows.length - limit) : rows.slice(0, limit)
  const edge = options.extraFirst ? kept[0] : kept[kept.length - 1]
  const encode = options.encode ?? encodeCursor
  return { items: kept.map(map), nextCursor: more && edge !== undefined ? encode(keyOf(edge)) : null }
}
