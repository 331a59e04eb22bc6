// The client as a package: `npm pack` gives a tarball of built ESM and .d.ts with no dependency;
// a scratch SPA project installs it, type-checks against it with no Node types, and bundles a
// program that then talks to the real server.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { build } from 'esbuild'
import t from 'tap'
import { installed, SPA_TSCONFIG, scratchProject, tarballFiles, typecheck } from '../helpers/pack.ts'
import { backendName, startServer, user } from './fixtures/setup.ts'

const PROGRAM = `
import { ApiError, ChatHttp, ChatSocket, type Message, type OwnUser, type ServerCode } from '@roomchat/client'

/** Signs in with a token and reads the own user; the socket is only built, not opened. */
export async function run(baseUrl: string, token: string): Promise<{ me: OwnUser; code: ServerCode | string }> {
  const http = new ChatHttp({ baseUrl, token })
  const me = await http.me()
  // Made, not opened: a ChatSocket may be built where there is no WebSocket yet (SSR, Node 20).
  const socket = new ChatSocket({ ...http.socketOptions() })
  socket.on('message', (m: Message) => console.log(m.seq, m.text))
  socket.on('refused', (info) => console.log(info.reason, info.error.code))
  let code: string = ''
  try {
    await new ChatHttp({ baseUrl }).me()
  } catch (err) {
    if (err instanceof ApiError) code = err.code
  }
  return { me, code }
}
`

const WRONG = `
import { ChatHttp } from '@roomchat/client'
const http = new ChatHttp({ baseUrl: '' })
// A field the wire does not have: the types must refuse it.
export const n: number = (await http.me()).nonexistent
`

t.test(`the packed client on ${backendName}`, async (t) => {
  const dir = await scratchProject(t, {
    'tsconfig.json': SPA_TSCONFIG,
    'src/main.ts': PROGRAM,
  })

  t.test('the tarball: built ESM and declarations, no sources, no dependencies', async (t) => {
    const pkgDir = join(dir, 'node_modules/@roomchat/client')
    const pkg = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8'))
    t.notOk(pkg.dependencies, 'no runtime dependency')
    t.notOk(pkg.peerDependencies)
    t.same(await installed(dir), ['@roomchat/client'], 'nothing else installed, @types/node included')
    const files = await tarballFiles(
      join(dir, (await import('node:fs')).readdirSync(dir).find((f) => f.endsWith('.tgz'))!),
    )
    t.ok(files.includes('package/dist/index.js'))
    t.ok(files.includes('package/dist/index.d.ts'))
    t.notOk(
      files.some((f) => f.startsWith('package/src/')),
      'no sources',
    )
    const dts = await readFile(join(pkgDir, 'dist/wire.d.ts'), 'utf8')
    t.notMatch(dts, /typebox|from '\.\.\//, 'wire types are plain: no TypeBox, no server module')
  })

  t.test('type-checks with DOM types only', async (t) => {
    const result = await typecheck(dir)
    t.ok(result.ok, result.output || 'tsc passed')
  })

  t.test('the types catch a field the wire does not have', async (t) => {
    const { writeFile } = await import('node:fs/promises')
    await writeFile(join(dir, 'src/main.ts'), WRONG)
    const result = await typecheck(dir)
    t.notOk(result.ok)
    t.match(result.output, /nonexistent/)
    await writeFile(join(dir, 'src/main.ts'), PROGRAM)
  })

  t.test('bundles for the browser, and the bundle works', async (t) => {
    const out = join(dir, 'dist/app.js')
    const result = await build({
      entryPoints: [join(dir, 'src/main.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outfile: out,
      logLevel: 'silent',
    })
    t.same(result.errors, [])
    const code = await readFile(out, 'utf8')
    t.notMatch(code, /\brequire\(|from ["']node:/, 'nothing of Node in the bundle')
    const server = await startServer(t)
    const alice = await user(server)
    const app = (await import(out)) as {
      run(base: string, token: string): Promise<{ me: { id: string }; code: string }>
    }
    const answer = await app.run(server.base, alice.token)
    t.equal(answer.me.id, alice.id)
    t.equal(answer.code, 'UNAUTHENTICATED')
  })
})
