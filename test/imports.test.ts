// The layering the README describes, read from the imports of src/: adapters hold no rules, so
// none reaches src/errors.ts (the services decide what an outcome means); only the Redis adapters
// and the scaled adapter set use ioredis; only src/app.ts, src/server.ts and src/http/ know
// Fastify (plugins/, outside src, is the rest of the HTTP edge); the services in src/rooms and the
// hub in src/realtime know each other only through ports (no import either way); the Files port
// and its adapters in src/files know nothing of the rooms that use them.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import t from 'tap'

const root = resolve(import.meta.dirname, '..')
const src = join(root, 'src')
const files = readdirSync(src, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .map((f) => join(src, f))

/** One module a file names: in `import … from`, `export … from` or a bare `import '…'`. */
interface Named {
  spec: string
  /** `import type` or `export type`: erased from the JavaScript, so absent at run time. */
  typeOnly: boolean
}

// The clause between the keyword and `from`: a default name, braces, `*` or `* as name`, so
// that a match never runs on from an earlier statement (`export const …`) into a later one.
const FROM =
  /^(import|export)\s+(type\s+)?((?:[\w$]+\s*,\s*)?(?:\{[^}]*\}|\*(?:\s+as\s+[\w$]+)?)|[\w$]+)\s*from\s*['"]([^'"]+)['"]/gm
const BARE = /^import\s*['"]([^'"]+)['"]/gm

/** Every module named in `text`, in no particular order. */
function parse(text: string): Named[] {
  return [
    ...[...text.matchAll(FROM)].map(([, , type, , spec]) => ({ spec: spec!, typeOnly: type !== undefined })),
    ...[...text.matchAll(BARE)].map(([, spec]) => ({ spec: spec!, typeOnly: false })),
  ]
}

const resolved = (file: string, spec: string) => (spec.startsWith('.') ? resolve(dirname(file), spec) : spec)

/** The modules a file imports at run time (`import type` is erased, so it does not count). */
function imports(file: string): string[] {
  return parse(readFileSync(file, 'utf8'))
    .filter((n) => !n.typeOnly)
    .map((n) => resolved(file, n.spec))
}

/** Every module a file names in an import or export, `import type` included. */
function named(file: string): string[] {
  return parse(readFileSync(file, 'utf8')).map((n) => resolved(file, n.spec))
}

/** Every module reachable from `file` at run time, itself included. */
function reach(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen
  seen.add(file)
  for (const dep of imports(file)) if (dep.startsWith(src)) reach(dep, seen)
  return seen
}

const rel = (f: string) => relative(root, f)
const under = (folder: string) => files.filter((f) => rel(f).startsWith(`src/${folder}/`))
const adapters = files.filter((f) =>
  /^src\/(store|bus|presence|ephemeral|limits|adapters)\/|^src\/files\/files-/.test(rel(f)),
)

/** `from`'s imports of modules in `to` (types included), as `file -> module`. */
function crossing(from: string, to: string): string[] {
  return under(from).flatMap((f) =>
    named(f)
      .map(rel)
      .filter((m) => m.startsWith(`src/${to}/`))
      .map((m) => `${rel(f)} -> ${m}`),
  )
}

/** How many modules of src the files of `folder` name: a check over them that sees none is blind. */
const srcNamedBy = (folder: string) =>
  under(folder).flatMap((f) => named(f).filter((m) => m.startsWith(src))).length

t.test('the parser reads every form of import and export that names a module', async (t) => {
  const text = [
    "import a from './a.ts'",
    "import b, { c } from './b.ts'",
    "import * as d from './d.ts'",
    "import {\n  e,\n  type f,\n} from './e.ts'",
    "import type { G } from './g.ts'",
    "import type H from './h.ts'",
    "import './side-effect.ts'",
    "export { i } from './i.ts'",
    "export * from './j.ts'",
    "export * as k from './k.ts'",
    "export type { L } from './l.ts'",
    "export const m = 'not a module'",
    'export function n() {\n  return 1\n}',
    "import { o } from 'o-package'",
  ].join('\n')
  const found = parse(text).sort((x, y) => x.spec.localeCompare(y.spec))
  t.same(found, [
    { spec: './a.ts', typeOnly: false },
    { spec: './b.ts', typeOnly: false },
    { spec: './d.ts', typeOnly: false },
    { spec: './e.ts', typeOnly: false },
    { spec: './g.ts', typeOnly: true },
    { spec: './h.ts', typeOnly: true },
    { spec: './i.ts', typeOnly: false },
    { spec: './j.ts', typeOnly: false },
    { spec: './k.ts', typeOnly: false },
    { spec: './l.ts', typeOnly: true },
    { spec: './side-effect.ts', typeOnly: false },
    { spec: 'o-package', typeOnly: false },
  ])
})

t.test('no adapter reaches src/errors.ts', async (t) => {
  t.ok(adapters.length >= 30, `${adapters.length} adapter files read`)
  t.ok(
    adapters.some((f) => reach(f).size > 1),
    'the check follows the adapters into the modules they import',
  )
  const errors = join(src, 'errors.ts')
  t.ok(
    files.some((f) => reach(f).has(errors)),
    'the check sees src/errors.ts reached from somewhere',
  )
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

t.test('only src/app.ts, src/server.ts and src/http/ know Fastify, types included', async (t) => {
  const fastify = (m: string) => m === 'fastify' || m.startsWith('fastify-') || m.startsWith('@fastify/')
  const users = files.filter((f) => named(f).some(fastify)).map(rel)
  t.ok(users.includes('src/app.ts'), 'the check sees the Fastify imports of src/app.ts')
  t.same(
    users.filter((f) => f !== 'src/app.ts' && f !== 'src/server.ts' && !f.startsWith('src/http/')),
    [],
  )
})

t.test('src/rooms and src/realtime never import each other, types included', async (t) => {
  t.ok(under('realtime').length >= 4, 'the check sees src/realtime')
  t.ok(under('rooms').length >= 4, 'the check sees src/rooms')
  t.ok(srcNamedBy('realtime') > 0 && srcNamedBy('rooms') > 0, 'the check sees their imports')
  t.same(crossing('rooms', 'realtime'), [])
  t.same(crossing('realtime', 'rooms'), [])
})

t.test('src/files never imports src/rooms, types included', async (t) => {
  t.ok(under('files').length >= 3, 'the check sees the Files port and its adapters')
  t.ok(srcNamedBy('files') > 0, 'the check sees their imports')
  t.same(crossing('files', 'rooms'), [])
})
