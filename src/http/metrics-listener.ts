// /metrics on a port of its own (METRICS_PORT), for a scraper on loopback or the pod network:
// nothing else is served there, and nothing there is reachable through the API's port.
import { createServer, type Server } from 'node:http'
import type { Logger } from '../logger.ts'

export function listenMetrics(
  exposition: () => Promise<{ contentType: string; text: string }>,
  log: Logger,
  port: number,
  host: string,
): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
      return
    }
    exposition().then(
      ({ contentType, text }) => res.writeHead(200, { 'content-type': contentType }).end(text),
      (err: unknown) => {
        log.warn({ err }, 'metrics failed')
        res.writeHead(500).end()
      },
    )
  })
  server.requestTimeout = 10_000
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve(server))
  })
}
