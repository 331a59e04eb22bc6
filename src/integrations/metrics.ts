// The integration metrics, on the instance's registry: deliveries accepted, failed attempts,
// and the lag from an event's creation to its accepted delivery.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

export function integrationMetrics(registry: Registry) {
  const registers = [registry]
  return {
    delivered: new Counter({
      name: 'integration_deliveries_total',
      help: 'events delivered to integrations (a 2xx answer)',
      registers,
    }),
    failed: new Counter({
      name: 'integration_failures_total',
      help: 'delivery attempts that failed (non-2xx, time-out, refused address), to be tried again',
      registers,
    }),
    givenUp: new Counter({
      name: 'integration_given_up_total',
      help: 'events skipped after failing for INTEGRATIONS_RETRY_HOURS',
      registers,
    }),
    lag: new Histogram({
      name: 'integration_delivery_lag_seconds',
      help: "from an event's creation to its delivery being accepted",
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
      registers,
    }),
    held: new Gauge({
      name: 'integration_leases_held',
      help: 'integrations this instance delivers (holds the lease of)',
      registers,
    }),
  }
}

export type IntegrationMetrics = ReturnType<typeof integrationMetrics>
