// The rule for a post's text, enforced in the core whatever the caller validated before.
import { invalid } from '../errors.ts'
import { LONE_SURROGATE } from '../lone-surrogate.ts'
import { POST_MAX } from '../schemas/posts.ts'

/** 1..POST_MAX Unicode code points (not UTF-16 units, not bytes), not only whitespace. */
export function checkPostText(text: string): void {
  if (text.trim() === '') throw invalid('The text is empty')
  if (LONE_SURROGATE.test(text)) throw invalid('The text is not valid Unicode')
  let points = 0
  for (const _ of text)
    if (++points > POST_MAX) throw invalid(`The text is longer than ${POST_MAX} characters`)
}
