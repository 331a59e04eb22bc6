// Deadlines that a trickle of bytes cannot push back (the idle time-out restarts with each byte).
//
// Headers: a new connection has `headersMs` from its opening to the end of its first request's
// headers. Node's own headersTimeout counts from the request's first byte and is only checked
// every connectionsCheckingInterval, so a client that sent its first byte late was given nearly
// twice the bound; this timer is exact. Later requests on a kept-alive connection wait up to the
// keep-alive time-out for their first byte, then have Node's headersTimeout from it.
//
// Body: a request with a body has `bodyMs` from the end of its headers to the end of its body,
// whether or not it was answered early (an answered request's body is still read, to keep the
// connection usable). Uploads are exempted by their route (`exemptBody`) and keep the whole
// request time-out (HTTP_REQUEST_TIMEOUT_SECONDS).
//
// A request cut off is answered as Node answers its own time-outs: the server's `clientError`
// (408 TIMEOUT, then the connection closes), or a plain close once an answer has been written.
import type { IncomingMessage, Server } from 'node:http'
import type { Socket } from 'node:net'

export type Phase = 'headers' | 'body'

/** The error a cut-off request is reported with to the `clientError` handler. */
export interface DeadlineError extends Error {
  code: 'ERR_HTTP_REQUEST_TIMEOUT'
  phase: Phase
}

export interface DeadlineOptions {
  /** 0: Node's headersTimeout only. */
  headersMs: number
  /** 0: the request time-out only. */
  bodyMs: number
  onTimeout: (phase: Phase) => void
}

const headersTimer = Symbol('headersDeadline')
const bodyTimer = Symbol('bodyDeadline')
const answering = Symbol('answering')
type Timed = { [headersTimer]?: NodeJS.Timeout; [bodyTimer]?: NodeJS.Timeout; [answering]?: boolean }

/**
 * What a time-out of Node's own (headersTimeout, requestTimeout: one error code for both) cut
 * on `socket`: a request's headers when none is being answered, else the request.
 */
export const nodeTimeoutPhase = (socket: Socket): 'headers' | 'request' =>
  (socket as Socket & Timed)[answering] ? 'request' : 'headers'

export function enforceDeadlines(server: Server, options: DeadlineOptions) {
  server.on('request', (req: IncomingMessage, res) => {
    const socket = req.socket as Socket & Timed
    socket[answering] = true
    res.once('finish', () => {
      socket[answering] = false
    })
  })

  const cut = (socket: Socket, phase: Phase, answered: boolean) => {
    if (socket.destroyed) return
    options.onTimeout(phase)
    if (answered) {
      socket.destroy()
      return
    }
    const err = new Error(`The request's ${phase} took longer than the server waits`) as DeadlineError
    err.code = 'ERR_HTTP_REQUEST_TIMEOUT'
    err.phase = phase
    // The handler answers 408 and destroys the socket; without one, Node's default does.
    if (!server.emit('clientError', err, socket)) socket.destroy()
  }

  if (options.headersMs > 0) {
    const headersIn = (socket: Socket & Timed) => {
      clearTimeout(socket[headersTimer])
      socket[headersTimer] = undefined
    }
    server.on('connection', (socket: Socket & Timed) => {
      if (socket.destroyed) return // refused (address-cap.ts)
      socket[headersTimer] = setTimeout(() => cut(socket, 'headers', false), options.headersMs).unref()
      socket.once('close', () => headersIn(socket))
    })
    server.on('request', (req: IncomingMessage) => headersIn(req.socket))
    server.on('upgrade', (req: IncomingMessage) => headersIn(req.socket))
  }

  if (options.bodyMs > 0) {
    // Before Fastify's own listener, so that a route's hook can exempt the request it routes.
    server.prependListener('request', (req: IncomingMessage & Timed, res) => {
      const length = req.headers['content-length']
      const hasBody =
        req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
      if (!hasBody) return
      const timer = setTimeout(() => {
        if (!req.complete) cut(req.socket, 'body', res.headersSent)
      }, options.bodyMs).unref()
      req[bodyTimer] = timer
      req.once('end', () => clearTimeout(timer))
    })
  }

  return {
    /** Lifts the body deadline of `req` (an upload: the request time-out still bounds it). */
    exemptBody(req: IncomingMessage): void {
      clearTimeout((req as IncomingMessage & Timed)[bodyTimer])
    },
  }
}
