// One tokenizer for every store: what a message is indexed under, what a query asks for, and
// where a query matched (highlights). Both stores find candidates by the terms and keep those
// `matchSpans` accepts, so the two backends agree by construction.
//
// Text is normalised one code point at a time (NFKC, case fold, accents stripped outside
// Chinese/Japanese/Korean), so every normalised character maps back to the code point it came
// from: highlights are code point offsets into the original text.
//
// Scripts written with spaces (Latin, Cyrillic, Greek, ...) are split into words, matched by
// prefix. Han, Kana and Hangul runs have no spaces between words: each character is a unit,
// indexed as overlapping bigrams (plus the run's last character, so a one-character query finds
// every occurrence by the prefix of a term), and a query run matches the same sequence anywhere.

/** Han, Hiragana, Katakana (with the prolonged sound mark) and Hangul. */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u30fc\u3005]/u
const WORD = /[\p{L}\p{N}]/u
const MARK = /\p{M}/u
/** Longer words are indexed (and asked for) by this prefix: index keys stay bounded. */
export const MAX_TERM = 64

/** One searchable unit of a text: a word, or one CJK character. */
export interface Unit {
  value: string
  cjk: boolean
  /** A CJK character right after another of the same run (no separator between them). */
  joined: boolean
  /** Code point offset of the unit's first code point in the original text. */
  start: number
  /** For each normalised code point of `value`, the original offset just after it. */
  ends: number[]
}

const foldCache = new Map<string, string>()

/** The normalised form of one code point (may be empty, or several code points). */
export function fold(cp: string): string {
  const code = cp.codePointAt(0)!
  if (code < 0x80) return code >= 65 && code <= 90 ? String.fromCharCode(code + 32) : cp
  const cached = foldCache.get(cp)
  if (cached !== undefined) return cached
  const cjk = CJK.test(cp)
  let s = cp.normalize('NFKD').toLowerCase().replace(/ß/g, 'ss').replace(/ς/g, 'σ')
  // Accents go in scripts written with spaces (café = cafe); in Kana the voicing marks are
  // letters of their own (が is not か), so CJK keeps them.
  if (!cjk) s = s.replace(/\p{M}/gu, '')
  s = s.normalize('NFC')
  if (foldCache.size < 50_000) foldCache.set(cp, s)
  return s
}

/** The whole text normalised (what `units` reads), for tests and callers that compare. */
export const normalise = (text: string): string => [...text].map(fold).join('')

/** The units of a text, in order. */
export function units(text: string): Unit[] {
  const out: Unit[] = []
  let word: Unit | null = null
  let lastCjk = false
  let i = 0
  for (const cp of text) {
    const f = fold(cp)
    // A code point that folds to nothing (a combining accent) still belongs to its word.
    if (f === '' && word) word.ends[word.ends.length - 1] = i + 1
    for (const c of f) {
      if (CJK.test(c)) {
        word = null
        out.push({ value: c, cjk: true, joined: lastCjk, start: i, ends: [i + 1] })
        lastCjk = true
      } else if (WORD.test(c)) {
        lastCjk = false
        if (!word) {
          word = { value: '', cjk: false, joined: false, start: i, ends: [] }
          out.push(word)
        }
        word.value += c
        word.ends.push(i + 1)
      } else if (MARK.test(c) && out.length > 0 && (word || lastCjk)) {
        // A mark left standing (a kana voicing mark typed apart) belongs to what it follows.
        const last = out[out.length - 1]!
        last.value += c
        last.ends[last.ends.length - 1] = i + 1
      } else {
        word = null
        lastCjk = false
      }
    }
    i++
  }
  return out
}

const cap = (s: string): string => {
  const cps = [...s]
  return cps.length > MAX_TERM ? cps.slice(0, MAX_TERM).join('') : s
}

/** The distinct terms a text is indexed under. */
export function indexTerms(text: string): string[] {
  const terms = new Set<string>()
  const us = units(text)
  for (let k = 0; k < us.length; k++) {
    const u = us[k]!
    if (!u.cjk) {
      terms.add(cap(u.value))
      continue
    }
    const next = us[k + 1]
    if (next?.cjk && next.joined) terms.add(u.value + next.value)
    else terms.add(u.value) // the run's last character
  }
  return [...terms]
}

/** A part of a query that must occur: a word, a CJK run, or a quoted phrase. */
export interface Group {
  units: Unit[]
  phrase: boolean
}

export interface ParsedQuery {
  groups: Group[]
}

/** A term to look up in the index: the exact term, or every term starting with it. */
export interface LookupTerm {
  value: string
  prefix: boolean
}

/** Splits a query into groups; `"quoted words"` make one phrase. An unclosed quote runs to the end. */
export function parseQuery(q: string): ParsedQuery {
  const groups: Group[] = []
  const parts = q.split('"')
  parts.forEach((part, n) => {
    const us = units(part)
    if (us.length === 0) return
    if (n % 2 === 1) {
      groups.push({ units: us, phrase: true })
      return
    }
    for (const u of us) {
      const prev = groups[groups.length - 1]
      if (u.cjk && u.joined && prev && !prev.phrase && prev.units[prev.units.length - 1]!.cjk)
        prev.units.push(u)
      else groups.push({ units: [u], phrase: false })
    }
  })
  return { groups }
}

/** What to ask the index for: every text that matches contains all of these. */
export function lookupTerms(query: ParsedQuery): LookupTerm[] {
  const seen = new Map<string, LookupTerm>()
  const add = (value: string, prefix: boolean) => {
    const v = cap(value)
    const key = `${prefix ? '*' : '='}${v}`
    if (!seen.has(key)) seen.set(key, { value: v, prefix: prefix || v !== value })
  }
  for (const g of query.groups) {
    g.units.forEach((u, k) => {
      if (!u.cjk) {
        // Words of a phrase but its last are whole words; a word alone is a prefix.
        add(u.value, !g.phrase || k === g.units.length - 1)
        return
      }
      const next = g.units[k + 1]
      const prev = g.units[k - 1]
      if (next?.cjk && next.joined) add(u.value + next.value, false)
      else if (!(prev?.cjk && u.joined)) add(u.value, true) // a character on its own
    })
  }
  // A prefix that an exact term of the same value already requires adds nothing.
  return [...seen.values()].filter((t) => !t.prefix || !seen.has(`=${t.value}`))
}

export type Span = [number, number]

/** Where `g` matches the text's units starting at `p`: the span, or null. */
function matchAt(g: Group, text: Unit[], p: number): Span | null {
  const n = g.units.length
  if (p + n > text.length) return null
  let end = 0
  for (let k = 0; k < n; k++) {
    const q = g.units[k]!
    const t = text[p + k]!
    if (q.cjk) {
      if (!t.cjk || t.value !== q.value) return null
      if (k > 0 && q.joined && !t.joined) return null
      end = t.ends[t.ends.length - 1]!
      continue
    }
    if (t.cjk) return null
    const prefix = !g.phrase || k === n - 1
    if (prefix ? !t.value.startsWith(q.value) : t.value !== q.value) return null
    end = t.ends[[...q.value].length - 1]!
  }
  return [text[p]!.start, end]
}

/**
 * The highlights of a text for a query, sorted, overlapping occurrences merged into one span;
 * null when some group of the query does not occur (the text does not match).
 */
export function matchSpans(query: ParsedQuery, text: string | Unit[]): Span[] | null {
  if (query.groups.length === 0) return null
  const us = typeof text === 'string' ? units(text) : text
  const spans: Span[] = []
  for (const g of query.groups) {
    let found = false
    for (let p = 0; p < us.length; p++) {
      const s = matchAt(g, us, p)
      if (s) {
        spans.push(s)
        found = true
      }
    }
    if (!found) return null
  }
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  const merged: Span[] = []
  for (const s of spans) {
    const last = merged[merged.length - 1]
    if (last && s[0] < last[1]) last[1] = Math.max(last[1], s[1])
    else merged.push([s[0], s[1]])
  }
  return merged
}
