// The integrations' service and deliverer from the configuration (src/core.ts starts and stops them).
import { secretBox } from '../accounts/secret-box.ts'
import type { AuditService } from '../audit/audit.ts'
import type { Bus } from '../bus/bus.ts'
import type { CoreConfig } from '../core.ts'
import type { Logger } from '../logger.ts'
import type { Metrics } from '../metrics.ts'
import type { Store } from '../store/store.ts'
import { Deliverer } from './deliverer.ts'
import { integrationMetrics } from './metrics.ts'
import { IntegrationService } from './service.ts'

export interface IntegrationWiring {
  config: CoreConfig
  store: Store
  bus: Bus
  audit: AuditService
  metrics: Pick<Metrics, 'registry'>
  log: Logger
}

export function prepareIntegrations(w: IntegrationWiring) {
  const { config } = w
  // The secrets are read back to sign each delivery: sealed at rest like TOTP secrets, under a key of their own.
  const box = secretBox(config.DATA_KEY ?? config.JWT_SECRET, 'integrations')
  const deliverer = new Deliverer(
    { store: w.store, bus: w.bus, box, metrics: integrationMetrics(w.metrics.registry), log: w.log },
    {
      leaseMs: config.INTEGRATIONS_LEASE_SECONDS * 1000,
      timeoutMs: config.INTEGRATIONS_TIMEOUT_SECONDS * 1000,
      allowPrivate: config.INTEGRATIONS_ALLOW_PRIVATE,
      retryMinMs: config.INTEGRATIONS_RETRY_MIN_MS,
      retryMaxMs: config.INTEGRATIONS_RETRY_MAX_SECONDS * 1000,
      giveUpMs: config.INTEGRATIONS_RETRY_HOURS * 3600_000,
      gatherMs: config.INTEGRATIONS_GATHER_MS,
    },
  )
  const service = new IntegrationService(
    w.store,
    box,
    w.audit,
    { allowPrivate: config.INTEGRATIONS_ALLOW_PRIVATE, max: config.INTEGRATIONS_MAX },
    () => deliverer.poke(),
  )
  return { service, deliverer }
}
