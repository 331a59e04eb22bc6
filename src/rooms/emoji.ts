// What counts as "one emoji" for a reaction: a single grapheme cluster (as Intl.Segmenter
// splits text) that is pictographic: an emoji with its modifiers, a ZWJ sequence, a flag (two
// regional indicators) or a keycap. Anything else, letters included, is refused.
const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' })
const PICTOGRAPHIC = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20E3/u
/** Longest accepted in UTF-16 units: long ZWJ families fit, a paragraph does not. */
export const MAX_EMOJI_LENGTH = 32

export function isOneEmoji(s: string): boolean {
  if (s.length === 0 || s.length > MAX_EMOJI_LENGTH) return false
  const graphemes = [...segmenter.segment(s)]
  return graphemes.length === 1 && PICTOGRAPHIC.test(s)
}
