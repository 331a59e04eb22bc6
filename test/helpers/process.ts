// Child processes of a test (server instances, Redis, nginx): their output kept for the failure
// message, and every one killed when the test process exits, however it exits.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository's root: where children run. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

const children = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

export interface Child {
  child: ChildProcess
  /** The last 256 KiB (at least) of what it printed. */
  output(): string
  /** The exit code, or null when a signal ended it. */
  exited: Promise<number | null>
}

/** Starts `command` in the repository's root with PATH, HOME and `env` only. */
export function startChild(command: string, args: string[], env: Record<string, string>): Child {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  let out = ''
  const keep = (d: Buffer) => {
    out += d
    if (out.length > 512 * 1024) out = out.slice(-256 * 1024)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      children.delete(child)
      resolve(code)
    }),
  )
  child.on('error', () => {}) // a spawn failure also shows as an exit
  return { child, output: () => out, exited }
}

export const isRunning = (c: Child) => c.child.exitCode === null && c.child.signalCode === null

/** Sends `signal` and resolves once the child has exited (at once if it already has). */
export async function stopChild(c: Child, signal: NodeJS.Signals): Promise<void> {
  if (!isRunning(c)) return
  c.child.kill(signal)
  await c.exited
}

export const tempDir = (name: string) => mkdtempSync(join(tmpdir(), `roomchat-${name}-`))
export const removeDir = (dir: string) => rmSync(dir, { recursive: true, force: true })
