// `@username` in a message's text, as the server matches it: a username (3..32 of A-Z a-z 0-9
// _ . -) after an `@` that does not follow a letter or digit (so e-mail addresses are not
// mentions), compared case-insensitively. At most MAX_MENTIONS distinct names per message.
const MENTION = /(?<![\p{L}\p{N}_.@-])@([A-Za-z0-9_.-]{3,32})/gu
export const MAX_MENTIONS = 20

export function mentionedNames(text: string): string[] {
  const names = new Set<string>()
  for (const m of text.matchAll(MENTION)) {
    // A sentence may end right after the name: "thanks @ann." names ann.
    const name = m[1]!.replace(/[.-]+$/, '').toLowerCase()
    if (name.length >= 3) names.add(name)
    if (names.size >= MAX_MENTIONS) break
  }
  return [...names]
}
