// A Redis server of one test's own, on a loopback port, that the test can stop and start again
// (an outage) without disturbing the other test files, which share the run's Redis.
import { spawnSync } from 'node:child_process'
import { createConnection } from 'node:net'
import { type Child, startChild, stopChild } from './process.ts'
import { sleep } from './wait.ts'

/** Whether `redis-server` can be run here. */
export function haveRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
}

export class RedisProcess {
  private proc: Child | null = null
  readonly url: string

  constructor(readonly port: number) {
    this.url = `redis://127.0.0.1:${port}`
  }

  /** Starts it (no persistence); resolves once it answers PING. */
  async start(ms = 20_000): Promise<void> {
    const proc = startChild(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {},
    )
    this.proc = proc
    const deadline = Date.now() + ms
    while (Date.now() < deadline) {
      if (proc.child.exitCode !== null) break
      if (await redisPing(this.port)) return
      await sleep(50)
    }
    throw new Error(`redis-server on ${this.port} did not start:\n${proc.output().slice(-2000)}`)
  }

  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.proc) await stopChild(this.proc, signal)
    this.proc = null
  }
}

/** True when a Redis server answers PING on the port. */
function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (d) => done(String(d).startsWith('+PONG')))
  })
}
