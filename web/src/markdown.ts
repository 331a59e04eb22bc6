// A message's text as people write it in chat apps: a Markdown subset (bold, italic, strike,
// inline and block code, quotes, lists, links; addresses become links) with @mentions picked
// out. Safe twice over: markdown-it parses with raw HTML off (an `<img onerror>` is text) and
// refuses `javascript:`/`vbscript:`/`data:` links, and DOMPurify then keeps only the tags and
// attributes this subset makes. Links open in a new tab with `rel="noopener noreferrer"`.
// Loaded with the room page only (the first page does not carry it).
import DOMPurify from 'dompurify'
import MarkdownIt, { type StateCore, type Token } from 'markdown-it'

const md = MarkdownIt('default', { html: false, linkify: true, breaks: true, typographer: false })
// What chat messages have no use for: headings, tables, images, rules, link references.
md.disable(['heading', 'lheading', 'table', 'image', 'hr', 'reference'])

interface Env {
  /** The reader's username, lowercased: a mention of them is marked. */
  me: string
}

const MENTION = /@[A-Za-z0-9_.-]+/g
const HAS_MENTION = /@[A-Za-z0-9_.-]/

// After inline parsing: text outside links and code is split around @mentions, each becoming a
// `<strong class="mention">` (with `me` when it names the reader).
md.core.ruler.push('mentions', (state: StateCore) => {
  const env = state.env as unknown as Env
  for (const block of state.tokens) {
    if (block.type !== 'inline' || !block.children) continue
    const out: Token[] = []
    let inLink = 0
    for (const tok of block.children) {
      if (tok.type === 'link_open') inLink++
      if (tok.type === 'link_close') inLink--
      if (tok.type !== 'text' || inLink > 0 || !HAS_MENTION.test(tok.content)) {
        out.push(tok)
        continue
      }
      let at = 0
      for (const m of tok.content.matchAll(MENTION)) {
        if (m.index > at) out.push(text(state, tok.content.slice(at, m.index)))
        const open = new state.Token('strong_open', 'strong', 1)
        open.attrSet('class', m[0].slice(1).toLowerCase() === env.me ? 'mention me' : 'mention')
        out.push(open, text(state, m[0]), new state.Token('strong_close', 'strong', -1))
        at = m.index + m[0].length
      }
      if (at < tok.content.length) out.push(text(state, tok.content.slice(at)))
    }
    block.children = out
  }
})
function text(state: StateCore, content: string): Token {
  const t = new state.Token('text', '', 0)
  t.content = content
  return t
}

const defaultLinkOpen = md.renderer.rules.link_open
md.renderer.rules.link_open = (tokens, i, options, env, self) => {
  tokens[i]!.attrSet('target', '_blank')
  tokens[i]!.attrSet('rel', 'noopener noreferrer')
  return defaultLinkOpen
    ? defaultLinkOpen(tokens, i, options, env, self)
    : self.renderToken(tokens, i, options)
}

const ALLOWED_TAGS = ['p', 'br', 'strong', 'em', 's', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a']
const ALLOWED_ATTR = ['href', 'target', 'rel', 'class', 'start']
const SAFE_URL = /^(?:https?:|mailto:)/i

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName !== 'A') return
  const href = node.getAttribute('href') ?? ''
  if (!SAFE_URL.test(href)) node.removeAttribute('href')
  node.setAttribute('target', '_blank')
  node.setAttribute('rel', 'noopener noreferrer')
})

/** The message's text as sanitised HTML, ready for `v-html`. */
export function renderMessage(source: string, myUsername: string): string {
  const html = md.render(source, { me: myUsername.toLowerCase() } satisfies Env)
  return DOMPurify.sanitize(html, { ALLOWED_TAGS, ALLOWED_ATTR, ALLOW_DATA_ATTR: false })
}
