// Prometheus metrics of one instance (prom-client). The core records what it sees (sockets,
// frames, deliveries, the bus, the store); the HTTP layer records requests.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { Store } from './store/store.ts'

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

/**
 * Counts of the hot path, kept as plain numbers (a socket write must not cost a metric update);
 * the counters below read them when /metrics is scraped.
 */
export interface Tally {
  framesIn: number
  framesOut: number
}

/** A Prometheus counter that reports a plain number counted elsewhere. */
function bulkCounter(name: string, help: string, read: () => number, registers: Registry[]): Counter {
  let reported = 0
  return new Counter({
    name,
    help,
    registers,
    collect() {
      const now = read()
      this.inc(now - reported)
      reported = now
    },
  })
}

/** One labelled series of a counter counted as a plain number; `count` is added to it when scraped. */
export interface CountCell {
  count: number
}

/**
 * A Prometheus counter with labels whose series are plain numbers: the HTTP layer counts every
 * answer, and prom-client hashes and checks a labels object on each `inc`. A caller looks a series
 * up once (`cell`) and keeps it; the number of series is the caller's to bound.
 */
function bulkLabelledCounter<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[],
  registers: Registry[],
) {
  const cells: { labels: Record<L, string>; cell: CountCell; reported: number }[] = []
  new Counter({
    name,
    help,
    labelNames,
    registers,
    collect() {
      for (const c of cells) {
        if (c.cell.count === c.reported) continue
        this.inc(c.labels, c.cell.count - c.reported)
        c.reported = c.cell.count
      }
    },
  })
  return {
    cell(labels: Record<L, string>): CountCell {
      const cell = { count: 0 }
      cells.push({ labels, cell, reported: 0 })
      return cell
    },
  }
}

export function createMetrics() {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const registers = [registry]
  const tally: Tally = { framesIn: 0, framesOut: 0 }
  return {
    registry,
    tally,
    httpRequests: bulkLabelledCounter(
      'http_requests_total',
      'HTTP requests by route and status',
      ['method', 'route', 'status'],
      registers,
    ),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route',
      labelNames: ['method', 'route'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    connectionsRefused: new Counter({
      name: 'http_connections_refused_total',
      help: 'Connections closed as soon as accepted: `per_address` (MAX_CONNECTIONS_PER_ADDRESS), `max_connections` (MAX_CONNECTIONS, which keeps descriptors free)',
      labelNames: ['reason'] as const,
      registers,
    }),
    acceptErrors: new Counter({
      name: 'http_accept_errors_total',
      help: 'Connections the listener failed to accept, by error code (EMFILE, ENFILE...)',
      labelNames: ['code'] as const,
      registers,
    }),
    requestTimeouts: new Counter({
      name: 'http_request_timeouts_total',
      help: 'Requests cut off (408): `headers` (HTTP_HEADERS_TIMEOUT_SECONDS), `body` (HTTP_BODY_TIMEOUT_SECONDS), `request` (HTTP_REQUEST_TIMEOUT_SECONDS)',
      labelNames: ['phase'] as const,
      registers,
    }),
    connectionsOpen: new Gauge({
      name: 'http_connections_open',
      help: 'HTTP connections open on this instance (WebSockets included)',
      registers,
    }),
    socketsOpen: new Gauge({ name: 'ws_sockets_open', help: 'WebSockets open on this instance', registers }),
    framesIn: bulkCounter(
      'ws_frames_in_total',
      'Frames received from clients',
      () => tally.framesIn,
      registers,
    ),
    framesOut: bulkCounter(
      'ws_frames_out_total',
      'Frames written to clients',
      () => tally.framesOut,
      registers,
    ),
    messagesDelivered: new Counter({
      name: 'chat_messages_delivered_total',
      help: 'Message frames written to sockets (one per socket)',
      registers,
    }),
    deliveryLatency: new Histogram({
      name: 'chat_send_to_deliver_seconds',
      help: 'From a message being stored to its frame being written to local sockets',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    busPublish: new Histogram({
      name: 'bus_publish_seconds',
      help: 'Time to publish one message on the bus',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    busLag: new Histogram({
      name: 'bus_receive_lag_seconds',
      help: 'From a message being stored to this instance receiving it from the bus',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    gapFills: new Counter({
      name: 'chat_gap_fills_total',
      help: 'Times messages missing from the bus were read back from the store',
      registers,
    }),
    noticesLost: new Counter({
      name: 'bus_notices_lost_total',
      help: 'Ticketed notices (chat state, session revocations) that never arrived: everything they cover was dropped and read again',
      labelNames: ['channel'] as const,
      registers,
    }),
    searchBackfilled: new Counter({
      name: 'search_backfill_indexed_total',
      help: 'Messages stored before search existed that this instance indexed',
      registers,
    }),
    searchBackfillDone: new Gauge({
      name: 'search_backfill_done',
      help: '1 once the search backfill has nothing left (as this instance last saw it), 0 while it runs',
      registers,
    }),
    storeLatency: new Histogram({
      name: 'store_operation_seconds',
      help: 'Store operation latency by repository and operation',
      labelNames: ['repo', 'op'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
  }
}

export type Metrics = ReturnType<typeof createMetrics>

/** Wraps every repository method of the store so that each call is timed. */
export function instrumentStore(store: Store, metrics: Metrics): Store {
  const wrap = <T extends object>(repo: string, target: T): T => {
    const out: Record<string, unknown> = {}
    for (const [op, fn] of Object.entries(target)) {
      out[op] =
        typeof fn === 'function'
          ? async (...args: unknown[]) => {
              const end = metrics.storeLatency.startTimer({ repo, op })
              try {
                return await (fn as (...a: unknown[]) => Promise<unknown>).apply(target, args)
              } finally {
                end()
              }
            }
          : fn
    }
    return out as T
  }
  const wrapped: Record<string, unknown> = {}
  for (const [name, repo] of Object.entries(store))
    if (repo && typeof repo === 'object') wrapped[name] = wrap(name, repo)
  return { ...store, ...wrapped } as Store
}
