// One server instance as production runs it: the entry point (`node --import tsx src/server.ts`)
// as a child process on a loopback port, which a test can wait for, kill or terminate. A test
// may load modules of its own before the entry point (`imports`), to inject a fault into it.
import { type Child, isRunning, startChild, stopChild } from './process.ts'
import { sleep } from './wait.ts'

export class ServerProcess {
  private readonly proc: Child
  readonly base: string
  readonly wsUrl: string

  constructor(
    readonly name: string,
    readonly port: number,
    env: Record<string, string>,
    options: { imports?: string[] } = {},
  ) {
    this.base = `http://127.0.0.1:${port}`
    this.wsUrl = `ws://127.0.0.1:${port}/ws`
    const imports = (options.imports ?? []).flatMap((path) => ['--import', path])
    this.proc = startChild(process.execPath, ['--import', 'tsx', ...imports, 'src/server.ts'], {
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    })
  }

  get alive(): boolean {
    return isRunning(this.proc)
  }

  output(): string {
    return this.proc.output()
  }

  /** Resolves when /readyz answers 200 (store and bus reachable). */
  async ready(ms = 90_000): Promise<void> {
    const deadline = Date.now() + ms
    while (Date.now() < deadline) {
      if (!this.alive) break
      try {
        const res = await fetch(`${this.base}/readyz`)
        if (res.ok) return
      } catch {}
      await sleep(100)
    }
    throw new Error(`${this.name} did not become ready:\n${this.output().slice(-4000)}`)
  }

  /**
   * Holds the process where it is (SIGSTOP) until `resume()`: its event loop stands still while
   * the kernel queues what peers send, as on an instance too busy to read.
   */
  pause(): void {
    this.proc.child.kill('SIGSTOP')
  }

  resume(): void {
    this.proc.child.kill('SIGCONT')
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    return stopChild(this.proc, signal)
  }

  /** Resolves with the exit code once the process has exited (null when a signal ended it). */
  exited(): Promise<number | null> {
    return this.proc.exited
  }
}
