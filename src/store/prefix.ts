// Prefix search helpers for the adapters. Both compare stored lowercase copies of the text
// with a lowercased query, so "starts with, case-insensitively" is plain, indexable matching.

/**
 * The smallest string greater than every string that starts with `prefix`, in code point order
 * (SQLite's BINARY collation compares UTF-8 bytes, which is the same order): the prefix with
 * its last code point incremented. `col >= prefix AND col < prefixEnd(prefix)` is then exactly
 * "starts with", with no wildcard to escape, and uses an index on `col`.
 * Null when there is no such string (a prefix made only of U+10FFFF).
 */
export function prefixEnd(prefix: string): string | null {
  const points = [...prefix]
  while (points.length > 0) {
    let next = points.pop()!.codePointAt(0)! + 1
    if (next === 0xd800) next = 0xe000 // skip the surrogates, which are not characters
    if (next <= 0x10ffff) return points.join('') + String.fromCodePoint(next)
  }
  return null
}

/** `^` + the text with every regular-expression metacharacter escaped: a literal prefix match. */
export const prefixRegex = (prefix: string): string => `^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`
