// Builds the web app (web/ → web/dist) when the build is missing or older than its sources.
// Runs after `npm install` and before `npm start`, so a fresh checkout serves the app with no
// extra step. Stale = the hash of every input differs from the one the last build wrote.
//   node scripts/build-web.mjs           build if needed
//   node scripts/build-web.mjs --force   build anyway
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const web = join(root, 'web')
const dist = join(web, 'dist')
const stampFile = join(dist, '.build-hash')
// What the bundle is made of: the app, and the client package it is built on.
const inputs = [
  'web/index.html',
  'web/vite.config.ts',
  'web/package.json',
  'web/src',
  'web/public',
  'packages/client/src',
  'packages/client/package.json',
]

function files(path) {
  if (!existsSync(path)) return []
  if (!statSync(path).isDirectory()) return [path]
  return readdirSync(path)
    .sort()
    .flatMap((name) => files(join(path, name)))
}

function inputHash() {
  const hash = createHash('sha256')
  for (const input of inputs)
    for (const file of files(join(root, input))) {
      hash.update(relative(root, file))
      hash.update(readFileSync(file))
    }
  return hash.digest('hex')
}

if (!existsSync(join(web, 'src'))) process.exit(0) // an install before the sources are there (Docker's first layer)
const want = inputHash()
const have = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : ''
if (want === have && existsSync(join(dist, 'index.html')) && !process.argv.includes('--force'))
  process.exit(0)

const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js')
if (!existsSync(vite)) {
  // A production install (--omit=dev) has no bundler: serve what was built, if anything.
  console.warn(
    `web app: ${existsSync(join(dist, 'index.html')) ? 'sources changed since the build' : 'not built'}, and vite is not installed (npm install builds it)`,
  )
  process.exit(0)
}
console.log(`web app: ${have ? 'sources changed' : 'no build yet'}, building web/dist…`)
// Built beside web/dist and swapped in whole, so a server or a test reading web/dist never sees a
// half-written build, and two builds at once (parallel test files) cannot mix their files.
const staging = join(web, `.dist-${process.pid}`)
const run = spawnSync(
  process.execPath,
  [vite, 'build', '--logLevel', 'warn', '--outDir', staging, '--emptyOutDir'],
  { cwd: web, stdio: 'inherit' },
)
if (run.status !== 0) {
  rmSync(staging, { recursive: true, force: true })
  console.error('web app: the build failed')
  process.exit(run.status ?? 1)
}
writeFileSync(join(staging, '.build-hash'), `${want}\n`)
rmSync(dist, { recursive: true, force: true })
try {
  renameSync(staging, dist)
} catch {
  rmSync(staging, { recursive: true, force: true }) // another build got there first: same sources
}
console.log('web app: built')
