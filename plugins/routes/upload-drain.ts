// An upload answered before its whole body arrived (refused, too large): the rest is read and
// dropped, so the client, still sending, gets to read the answer (cutting the connection at once
// makes its kernel discard the answer), but for LINGER_MS at most. Shared by the upload routes.
import type { FastifyRequest } from 'fastify'

/** How long the rest of an upload that was answered early is read before the connection is cut. */
const LINGER_MS = 5000

export function drain(request: FastifyRequest): void {
  const raw = request.raw
  if (raw.complete || raw.readableEnded || raw.destroyed) return
  raw.unpipe()
  raw.resume()
  const timer = setTimeout(() => raw.destroy(), LINGER_MS)
  timer.unref()
  raw.once('end', () => clearTimeout(timer))
  raw.once('close', () => clearTimeout(timer))
}
