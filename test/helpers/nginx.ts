// nginx as deployed (deploy/nginx.conf) in front of local instances, for the load-balancer tests.
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Child, isRunning, ROOT, startChild, stopChild } from './process.ts'
import { sleep } from './wait.ts'

/** Debian's nginx (in /usr/sbin, often not on a user's PATH) or one on PATH; null when there is none. */
export function findNginx(): string | null {
  const dirs = ['/usr/sbin', ...(process.env.PATH ?? '').split(':').filter(Boolean)]
  for (const dir of dirs) {
    const binary = join(dir, 'nginx')
    if (existsSync(binary) && spawnSync(binary, ['-v'], { stdio: 'ignore' }).status === 0) return binary
  }
  return null
}

/**
 * nginx in front of local instances with the project's own deploy/nginx.conf: a copy of it in a
 * directory of its own (listening on a loopback port instead of 8080, with temp paths there),
 * beside an nginx.upstream.conf that is the real one with the compose services replaced by the
 * instances' loopback ports (least_conn, max_fails and keepalive stay as they are). The files in
 * deploy/ are not touched. It runs in the foreground as one process (master_process off), so that
 * killing it leaves no worker behind.
 */
export class NginxProcess {
  readonly base: string
  readonly wsUrl: string
  private proc: Child | null = null

  constructor(
    readonly binary: string,
    readonly dir: string,
    readonly port: number,
    upstreamPorts: number[],
  ) {
    this.base = `http://127.0.0.1:${port}`
    this.wsUrl = `ws://127.0.0.1:${port}/ws`
    const conf = readFileSync(join(ROOT, 'deploy/nginx.conf'), 'utf8')
    const listen = /^(\s*)listen\s+8080\s*;/gm
    if ((conf.match(listen) ?? []).length !== 1)
      throw new Error('deploy/nginx.conf has no single `listen 8080;` line: update NginxProcess')
    if ((conf.match(/^http\s*\{/gm) ?? []).length !== 1)
      throw new Error('deploy/nginx.conf has no single `http {` block: update NginxProcess')
    // Relative paths are resolved against the prefix (-p dir).
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
      .map((kind) => `  ${kind}_temp_path temp/${kind};`)
      .join('\n')
    // /dev/stdout cannot be opened on the socket Node gives a child for its output: a file here.
    const ours = conf
      .replace(listen, `$1listen 127.0.0.1:${port};`)
      .replace(/access_log\s+\/dev\/stdout/g, 'access_log access.log')
      .replace(/^http\s*\{/m, `http {\n  # temp paths of this test's own\n${temp}\n`)

    const upstream = readFileSync(join(ROOT, 'deploy/nginx.upstream.conf'), 'utf8')
    const server = /^(\s*)server\s+[\w.-]+:\d+/gm
    const servers = upstream.match(server) ?? []
    if (servers.length !== upstreamPorts.length)
      throw new Error(
        `deploy/nginx.upstream.conf lists ${servers.length} servers, the test runs ${upstreamPorts.length}`,
      )
    let i = 0
    const local = upstream.replace(
      server,
      (_, indent: string) => `${indent}server 127.0.0.1:${upstreamPorts[i++]}`,
    )

    mkdirSync(join(dir, 'temp'), { recursive: true })
    writeFileSync(join(dir, 'nginx.conf'), ours)
    writeFileSync(join(dir, 'nginx.upstream.conf'), local)
    // Readable by nginx's workers should they run as another user.
    chmodSync(dir, 0o755)
  }

  get alive(): boolean {
    return this.proc !== null && isRunning(this.proc)
  }

  output(): string {
    const log = join(this.dir, 'error.log')
    const errors = existsSync(log) ? readFileSync(log, 'utf8').slice(-4000) : ''
    return `${this.proc?.output().slice(-4000) ?? ''}\n--- error.log:\n${errors}`
  }

  /** Checks the configuration (`nginx -t`); throws with nginx's words when it is refused. */
  test(): void {
    const r = spawnSync(this.binary, [...this.args(), '-t'], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`nginx -t refused the configuration:\n${r.stderr}${r.stdout}`)
  }

  /** Starts nginx in the foreground; resolves once it answers /nginx-health. */
  async start(ms = 20_000): Promise<void> {
    const proc = startChild(this.binary, this.args(), {})
    this.proc = proc
    const deadline = Date.now() + ms
    while (Date.now() < deadline) {
      if (!this.alive) break
      try {
        const res = await fetch(`${this.base}/nginx-health`)
        if (res.ok) return
      } catch {}
      await sleep(50)
    }
    throw new Error(`nginx did not start:\n${this.output()}`)
  }

  async stop(): Promise<void> {
    if (this.proc) await stopChild(this.proc, 'SIGTERM')
    this.proc = null
  }

  private args(): string[] {
    const d = this.dir
    return [
      '-p',
      `${d}/`,
      '-c',
      join(d, 'nginx.conf'),
      '-e',
      join(d, 'error.log'),
      '-g',
      `daemon off; master_process off; pid ${join(d, 'nginx.pid')}; error_log ${join(d, 'error.log')} warn;`,
    ]
  }
}
