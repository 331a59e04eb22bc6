// A search hit's text as pieces to render: plain runs and the matched runs (shown in <mark>),
// from the server's highlights, which count code points (an emoji is one, though it is two
// UTF-16 units of a JavaScript string). Rendered as text nodes, never as HTML. A long text is cut
// to a window around the first match, so a hit in a long message still shows what matched.

export interface Piece {
  text: string
  mark: boolean
}

/** Code points shown at most, and how many of them come before the first match. */
const WINDOW = 280
const LEAD = 60

export function highlightPieces(text: string, highlights: readonly (readonly number[])[]): Piece[] {
  const chars = Array.from(text)
  const spans = highlights
    .map(([a = 0, b = 0]) => [Math.max(0, a), Math.min(chars.length, b)] as const)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0])
  let from = 0
  let to = chars.length
  if (chars.length > WINDOW) {
    from = Math.max(0, Math.min((spans[0]?.[0] ?? 0) - LEAD, chars.length - WINDOW))
    to = from + WINDOW
  }
  const pieces: Piece[] = []
  const push = (a: number, b: number, mark: boolean) => {
    if (b > a) pieces.push({ text: chars.slice(a, b).join(''), mark })
  }
  let at = from
  for (const [a, b] of spans) {
    const start = Math.max(a, at)
    const end = Math.min(b, to)
    if (end <= start) continue
    push(at, start, false)
    push(start, end, true)
    at = end
  }
  push(at, to, false)
  if (from > 0) pieces.unshift({ text: '… ', mark: false })
  if (to < chars.length) pieces.push({ text: ' …', mark: false })
  return pieces
}
