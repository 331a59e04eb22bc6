// Listens, makes sure there is an admin, and shuts down gracefully on SIGTERM/SIGINT:
// /readyz turns 503, then the app closes (sockets, store, bus) within the grace period.
import type { Server } from 'node:http'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.ts'
import { ConfigError, loadConfig } from './config.ts'
import { listenMetrics } from './http/metrics-listener.ts'
import { bootstrapNotice } from './start-notice.ts'

let config: ReturnType<typeof loadConfig>
try {
  config = loadConfig()
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message)
    process.exit(1)
  }
  throw err
}

const app = await buildApp(config).catch((err: unknown) => {
  // Nothing is listening yet: say why in one line and stop (a store or Redis out of reach).
  console.error(`Could not start: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
})

let metricsServer: Server | undefined

// The signals of a fault (a segfault, a bus error, an illegal instruction...) are left to their
// default, a crash: a handler in JavaScript returns to the faulting instruction, which faults
// again, and the process spins on it forever instead of dying.
const FAULTS = ['SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGSEGV'] as const

closeWithGrace({ delay: 25_000, skip: [...FAULTS] }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'closing after an error')
  else app.log.info({ signal }, 'draining')
  metricsServer?.close()
  // Closing starts the drain (plugins/lifecycle.ts): /readyz turns 503 at once.
  await app.close()
})

try {
  const admin = await app.core.accounts.ensureAdmin(config.ADMIN_USERNAME, config.ADMIN_PASSWORD)
  if (admin.created) app.log.info({ username: admin.created }, 'admin account ready')
  await app.listen({ port: config.PORT, host: config.HOST })
  if (admin.bootstrapCode) {
    app.log.warn(
      { bootstrapCode: admin.bootstrapCode },
      `No admin yet. Register the first admin with this single-use invite code (valid 7 days): ${admin.bootstrapCode}`,
    )
    // Among request logs one JSON line is easy to miss: a person at a terminal also gets a box.
    if (process.stdout.isTTY) {
      const any = config.HOST === '0.0.0.0' || config.HOST === '::'
      const host = any ? 'localhost' : config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST
      process.stderr.write(bootstrapNotice(admin.bootstrapCode, `http://${host}:${config.PORT}`))
    }
  }
  if (config.METRICS_PORT) {
    metricsServer = await listenMetrics(
      () => app.metricsText(),
      app.log,
      config.METRICS_PORT,
      config.METRICS_HOST,
    )
    app.log.info({ port: config.METRICS_PORT, host: config.METRICS_HOST }, 'metrics listening')
  }
  app.log.info(app.core.backend, 'ready')
} catch (err) {
  app.log.fatal({ err }, 'could not start')
  await app.close().catch(() => {})
  process.exit(1)
}
