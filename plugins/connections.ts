// Bounds on the HTTP server's connections, so that slow or numerous clients cannot take the
// descriptors and the time every other client needs: a cap per client address, a cap on all
// connections below the descriptor limit, exact deadlines for headers and JSON bodies, and the
// listener's failures counted and logged (a line per 10 s at most) instead of silent.
import type { onRequestHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { capPerAddress } from '../src/http/address-cap.ts'
import { enforceDeadlines } from '../src/http/deadlines.ts'
import { connectionCap, descriptorLimit } from '../src/http/descriptors.ts'
import { guardListener } from '../src/http/listener-guard.ts'
import { throttled } from '../src/http/throttled-log.ts'
import { trustedProxy } from '../src/http/trusted-proxies.ts'

const LOG_WINDOW_MS = 10_000

const isMultipart = (type: string | undefined) => type?.trimStart().toLowerCase().startsWith('multipart/')

export default fp(
  async (app) => {
    const { config, metrics } = app.core
    const server = app.server
    const log = app.log

    const refusedPerAddress = throttled<string>(LOG_WINDOW_MS, (count, address) =>
      log.warn(
        { count, address, max: config.MAX_CONNECTIONS_PER_ADDRESS },
        'connections refused: the address holds MAX_CONNECTIONS_PER_ADDRESS already',
      ),
    )
    capPerAddress(server, {
      max: config.MAX_CONNECTIONS_PER_ADDRESS,
      exempt: trustedProxy(config.TRUST_PROXY),
      onRefused: (address) => {
        metrics.connectionsRefused.inc({ reason: 'per_address' })
        refusedPerAddress(address)
      },
    })

    const limit = descriptorLimit()
    const maxConnections = connectionCap(config.MAX_CONNECTIONS, limit)
    const dropped = throttled<undefined>(LOG_WINDOW_MS, (count) =>
      log.error(
        { count, maxConnections, descriptorLimit: limit },
        'connections refused: the instance holds MAX_CONNECTIONS already (descriptors would run out)',
      ),
    )
    const acceptFailed = throttled<NodeJS.ErrnoException>(LOG_WINDOW_MS, (count, err) =>
      log.error({ count, code: err.code, descriptorLimit: limit }, 'connections could not be accepted'),
    )
    guardListener(server, {
      maxConnections,
      onDrop: () => {
        metrics.connectionsRefused.inc({ reason: 'max_connections' })
        dropped(undefined)
      },
      onAcceptError: (err) => {
        metrics.acceptErrors.inc({ code: err.code ?? 'unknown' })
        acceptFailed(err)
      },
      onOtherError: (err) => log.error({ err }, 'HTTP server error'),
    })

    const deadlines = enforceDeadlines(server, {
      headersMs: config.HTTP_HEADERS_TIMEOUT_SECONDS * 1000,
      bodyMs: config.HTTP_BODY_TIMEOUT_SECONDS * 1000,
      onTimeout: (phase) => metrics.requestTimeouts.inc({ phase }),
    })
    // Uploads (the routes that read multipart) keep the whole request time-out for their body.
    const exemptUpload: onRequestHookHandler = (request, _reply, done) => {
      if (isMultipart(request.headers['content-type'])) deadlines.exemptBody(request.raw)
      done()
    }
    app.addHook('onRoute', (route) => {
      const consumes = (route.schema as { consumes?: string[] } | undefined)?.consumes
      if (!consumes?.some(isMultipart)) return
      route.onRequest = [...[route.onRequest ?? []].flat(), exemptUpload]
    })
  },
  { name: 'connections', dependencies: ['core'] },
)
