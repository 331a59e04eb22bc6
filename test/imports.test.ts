// The layering the README describes, read from the imports of src/: adapters hold no rules, so
// none reaches src/errors.ts (the services decide what an outcome means); only the Redis adapters
// and the scaled adapter set use ioredis; only the entry points import Fastify; the services in
// src/rooms and the hub in src/realtime know each other only through ports (no import either way).
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import t from 'tap'

const root = resolve(import.meta.dirname, '..')
const src = join(root, 'src')
const files = readdirSync(src, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .map((f) => join(src, f))

/** The modules a file imports at run time (`import type` is erased, so it does not count). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/^import\s+(?!type\s)[^'"]*?from\s+'([^']+)'/gm)].map(([, spec]) =>
    spec!.startsWith('.') ? resolve(dirname(file), spec!) : spec!,
  )
}

/** Every module reachable from `file` at run time, itself included. */
function reach(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen
  seen.add(file)
  for (const dep of imports(file)) if (dep.startsWith(src)) reach(dep, seen)
  return seen
}

const rel = (f: string) => relative(root, f)
const adapters = files.filter((f) =>
  /^src\/(store|bus|presence|ephemeral|limits|adapters)\/|^src\/files\/files-/.test(rel(f)),
)

t.test('no adapter reaches src/errors.ts', async (t) => {
  t.ok(adapters.length >= 30, `${adapters.length} adapter files read`)
  const errors = join(src, 'errors.ts')
  t.same(adapters.filter((f) => reach(f).has(errors)).map(rel), [])
})

t.test('ioredis only in the Redis adapters and the scaled adapter set', async (t) => {
  const users = files.filter((f) => imports(f).includes('ioredis')).map(rel)
  t.ok(users.length > 0, 'the check sees ioredis imports')
  t.same(
    users.filter((f) => !/-redis\.ts$|^src\/adapters\/scaled\.ts$/.test(f)),
    [],
  )
})

t.test('the core never imports Fastify, only the entry points do', async (t) => {
  const users = files.filter((f) => imports(f).some((m) => m === 'fastify' || m.startsWith('@fastify/')))
  t.same(
    users.map(rel).filter((f) => f !== 'src/app.ts' && f !== 'src/server.ts'),
    [],
  )
})

t.test('src/rooms and src/realtime never import each other, types included', async (t) => {
  /** Every module a file names in an import or export, `import type` included. */
  const named = (file: string) =>
    [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/gm)].map(
      ([, spec]) => rel(resolve(dirname(file), spec!)),
    )
  const crossing = (from: string, to: string) =>
    files
      .filter((f) => rel(f).startsWith(`src/${from}/`))
      .flatMap((f) =>
        named(f)
          .filter((m) => m.startsWith(`src/${to}/`))
          .map((m) => `${rel(f)} -> ${m}`),
      )
  t.ok(files.filter((f) => rel(f).startsWith('src/realtime/')).length >= 4, 'the check sees src/realtime')
  t.same(crossing('rooms', 'realtime'), [])
  t.same(crossing('realtime', 'rooms'), [])
})
