// The client package as an app gets it: `npm pack` of packages/client, installed from the
// tarball into a scratch project under the system's temp dir.
import { execFile } from 'node:child_process'
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Test } from 'tap'

const run = promisify(execFile)
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const PACKAGE_DIR = join(ROOT, 'packages/client')
const NPM_ENV = {
  ...process.env,
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
}

/**
 * `npm pack` of the client into `dir`; returns the tarball's path. The package is copied and
 * built there first (what its prepack does), so test files packing at once never share a dist/.
 */
export async function packClient(dir: string): Promise<string> {
  const copy = join(dir, 'client-package')
  await cp(PACKAGE_DIR, copy, { recursive: true, filter: (path) => !/[\\/](dist|node_modules)$/.test(path) })
  await run(process.execPath, [
    join(ROOT, 'node_modules/typescript/bin/tsc'),
    '-p',
    join(copy, 'tsconfig.json'),
  ])
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {
    cwd: copy,
    env: NPM_ENV,
  })
  const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[]
  return join(dir, info!.filename)
}

/** The paths inside a packed tarball. */
export async function tarballFiles(tarball: string): Promise<string[]> {
  const { stdout } = await run('tar', ['-tzf', tarball])
  return stdout.split('\n').filter(Boolean)
}

/**
 * A scratch project with these files, the packed client installed from its tarball (nothing
 * else: no @types/node), removed at teardown. Returns its directory.
 */
export async function scratchProject(t: Test, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'roomchat-client-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const tarball = await packClient(dir)
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'scratch-app',
      private: true,
      type: 'module',
      dependencies: { '@roomchat/client': `file:${tarball}` },
    }),
  )
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true })
    await writeFile(join(dir, name), text)
  }
  await run('npm', ['install', '--no-package-lock', '--offline', '--ignore-scripts'], {
    cwd: dir,
    env: NPM_ENV,
  })
  return dir
}

/** Type-checks the scratch project with the repository's TypeScript; returns the compiler's output. */
export async function typecheck(dir: string): Promise<{ ok: boolean; output: string }> {
  try {
    await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir])
    return { ok: true, output: '' }
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string }
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` }
  }
}

/** What the scratch project's node_modules holds (scoped packages as scope/name). */
export async function installed(dir: string): Promise<string[]> {
  const top = await readdir(join(dir, 'node_modules')).catch(() => [] as string[])
  const names: string[] = []
  for (const name of top) {
    if (name.startsWith('.')) continue
    if (name.startsWith('@'))
      for (const sub of await readdir(join(dir, 'node_modules', name))) names.push(`${name}/${sub}`)
    else names.push(name)
  }
  return names
}

/** A tsconfig for an SPA: DOM and ES2022, no Node types, bundler resolution, nothing skipped. */
export const SPA_TSCONFIG = JSON.stringify({
  compilerOptions: {
    target: 'ES2022',
    module: 'ESNext',
    moduleResolution: 'bundler',
    lib: ['ES2022', 'DOM', 'DOM.Iterable'],
    types: [],
    strict: true,
    noEmit: true,
    skipLibCheck: false,
  },
  include: ['src'],
})
