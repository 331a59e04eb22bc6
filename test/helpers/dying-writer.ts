// A writer that dies between its store write and its notice, for real: a server process over the
// deployment's store and Redis whose notice about one thing is held (hold-notice.ts), so that the
// test can send it the write over HTTP, wait until it has taken its ticket, written to the store
// and reached the publish, and SIGKILL it there.
import { join } from 'node:path'
import type { Test } from 'tap'
import { ServerProcess } from './instance.ts'
import { freePort } from './ports.ts'
import { ROOT, removeDir, tempDir } from './process.ts'
import { until } from './wait.ts'

export interface DyingWriter {
  server: ServerProcess
  /** Resolves once the process is stuck at the held publish (ticket taken, store written). */
  reachedNotice(ms?: number): Promise<void>
  /**
   * POSTs `path` to the writer as `token`, SIGKILLs it once it is stuck at the notice, and
   * resolves with its exit code (null: killed) and the request's status, or 'cut' when the
   * request was never answered.
   */
  killDuring(path: string, token: string): Promise<{ exitCode: number | null; answer: number | 'cut' }>
}

/**
 * Starts the writer over `env` (a deployment's environment: the same store, Redis and prefix,
 * and JWT secret, so the deployment's tokens work on it); its first notice on `channel` that
 * contains `match` is never published. Resolves once it is ready; killed at teardown.
 */
export async function startDyingWriter(
  t: Test,
  env: Record<string, string>,
  channel: string,
  match: string,
): Promise<DyingWriter> {
  const dataDir = tempDir('writer')
  t.teardown(() => removeDir(dataDir))
  const server = new ServerProcess(
    'dying writer',
    await freePort(),
    {
      ...env,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      HOLD_NOTICE_CHANNEL: channel,
      HOLD_NOTICE_MATCH: match,
    },
    { imports: [join(ROOT, 'test/helpers/hold-notice.ts')] },
  )
  t.teardown(() => server.kill('SIGKILL'))
  await server.ready()
  const reachedNotice = (ms = 10_000) =>
    until(
      () => server.output().includes('HELD NOTICE '),
      () => `the writer at its notice (alive: ${server.alive}):\n${server.output().slice(-3000)}`,
      ms,
    )
  return {
    server,
    reachedNotice,
    killDuring: async (path, token) => {
      const request = fetch(`${server.base}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      }).then(
        (res) => res.status,
        () => 'cut' as const,
      )
      await reachedNotice()
      await server.kill('SIGKILL')
      return { exitCode: await server.exited(), answer: await request }
    },
  }
}
