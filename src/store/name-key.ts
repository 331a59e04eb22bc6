// The keys under which two names read as the same name: Unicode TR39's skeleton of the name's
// NFKC case fold (nameKeys). 'admin', 'ADMIN', 'аdmin' (Cyrillic а), 'ａｄｍｉｎ' (fullwidth)
// and 'adrnin' share a key, and so do 'b0b' and 'Bob', 'aIice' and 'alice'. Both stores keep the keys of
// every user's username and display name under a unique index, so that a name confusable with
// another user's is refused by the write itself, race-free, as an exact copy is.
//
// The prototypes are Unicode's confusables.txt as the unhomoglyph package ships it (a
// character-for-character map generated from that file, version 13.0.0). Changing that data
// changes keys: the stores then need their keys computed again (a migration on each), which is
// why the package is pinned to one version.
import unhomoglyph from 'unhomoglyph'

const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu

/**
 * toNFKC_Casefold as near as JavaScript gets: NFKC, full case folding (upper then lower case, so
 * 'ß' and 'SS' meet at 'ss' and 'ς' at 'σ'), NFKC again, default-ignorable code points removed.
 */
export function nfkcCasefold(name: string): string {
  return name.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC').replace(IGNORABLE, '')
}

/**
 * TR39's skeleton(X): NFD, default-ignorable code points removed, each character replaced by its
 * prototype, NFD again. For comparing only: a skeleton is no name to show.
 */
export function skeleton(text: string): string {
  return unhomoglyph(text.normalize('NFD').replace(IGNORABLE, '')).normalize('NFD')
}

const fold = (s: string): string => skeleton(nfkcCasefold(s)).toLowerCase()

/**
 * The keys of a username or display name: two names are confusable when they share one. Folded
 * before the skeleton so that case never matters ('ADMIN' and 'admin'), and after it because
 * some prototypes are capitals ('0' and Cyrillic 'О' become 'O', which must meet 'o'). A second
 * key takes the skeleton first, for the capitals that pass for other small letters ('I' for 'l':
 * 'aIice' and 'alice'), which folding first would have made small letters of their own.
 */
export const nameKeys = (name: string): string[] => [...new Set([fold(name), fold(skeleton(name))])]

/** The distinct keys of a user's names: the username's, then the display name's. */
export const userNameKeys = (u: { username: string; displayName: string }): string[] => [
  ...new Set([...nameKeys(u.username), ...nameKeys(u.displayName)]),
]
