// Requests Node refuses before Fastify routes them (a time-out, malformed HTTP, headers too
// large), answered in the contract's error shape and counted, then the connection is closed.
// Written straight to the socket, as Fastify's default handler does: there is no request yet.
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'
import type { ErrorCode } from '../errors.ts'
import { type DeadlineError, nodeTimeoutPhase } from './deadlines.ts'

type ClientError = Error & { code?: string; phase?: DeadlineError['phase'] }

function answer(err: ClientError): [number, ErrorCode, string] {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return [408, 'TIMEOUT', err.phase ? err.message : 'The request took longer than the server waits']
  if (err.code === 'HPE_HEADER_OVERFLOW') return [431, 'BAD_REQUEST', 'The request headers are too large']
  return [400, 'BAD_REQUEST', 'The request is not valid HTTP']
}

/** Fastify's `clientErrorHandler` (`this` is the app, decorated with the core once it is ready). */
export function clientErrorHandler(this: FastifyInstance, err: ClientError, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const [status, code, message] = answer(err)
  // The app's own deadlines (deadlines.ts) count theirs where they cut; Node's are counted here.
  if (status === 408 && !err.phase)
    this.core?.metrics.requestTimeouts.inc({ phase: nodeTimeoutPhase(socket) })
  this.log.debug({ code: err.code }, message)
  if (socket.writable) {
    const body = JSON.stringify({ statusCode: status, code, error: STATUS_CODES[status], message })
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy()
}
