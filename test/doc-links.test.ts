// Every relative link in the repository's markdown (outside node_modules and build output)
// points at a file that exists, and a `#fragment` at a heading of that file.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const SKIP = new Set(['node_modules', '.git', '.servers', '.tap', 'dist', 'data', 'coverage'])

function markdownFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...markdownFiles(path))
    else if (entry.name.endsWith('.md')) out.push(path)
  }
  return out
}

/** The text without fenced code blocks and inline code, where a `[x](y)` is not a link. */
const prose = (text: string) => text.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '')

/** GitHub's anchors for a file's headings (lowercased, punctuation dropped, spaces to hyphens). */
function anchors(file: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  for (const [, heading] of prose(readFileSync(file, 'utf8')).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const base = heading!
      .replace(/`/g, '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-')
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

const files = markdownFiles(ROOT)

t.ok(files.length > 5, `${files.length} markdown files`)

for (const file of files) {
  const name = relative(ROOT, file)
  t.test(name, async (t) => {
    const links = [...prose(readFileSync(file, 'utf8')).matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    for (const [, target] of links) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target!)) continue // https:, mailto:
      const [path, fragment] = target!.split('#') as [string, string | undefined]
      const dest = path === '' ? file : resolve(dirname(file), decodeURIComponent(path))
      if (!t.ok(existsSync(dest), `${target}: the file exists`)) continue
      if (fragment && statSync(dest).isFile() && dest.endsWith('.md'))
        t.ok(anchors(dest).has(fragment), `${target}: heading exists`)
    }
  })
}
