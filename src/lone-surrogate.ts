// A lone UTF-16 surrogate (a JSON `\ud800` escape without its partner) is no character: stored as
// UTF-8 it comes back changed (as U+FFFD), so no text input may carry one.

/** A surrogate code unit standing alone: in a `u` regex a well-formed pair is one code point. */
export const LONE_SURROGATE = /\p{Cs}/u

/** A `\uD800`–`\uDFFF` escape: the only way a JSON text decoded from UTF-8 can hold a lone one. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/

/** True when a string anywhere in `value` (parsed from the JSON text `json`) holds a lone surrogate. */
export function hasLoneSurrogate(json: string, value: unknown): boolean {
  return SURROGATE_ESCAPE.test(json) && holds(value)
}

function holds(value: unknown): boolean {
  if (typeof value === 'string') return LONE_SURROGATE.test(value)
  if (Array.isArray(value)) return value.some(holds)
  if (value !== null && typeof value === 'object')
    return Object.entries(value).some(([k, v]) => LONE_SURROGATE.test(k) || holds(v))
  return false
}
