// The listener's own failures, seen and survived. A cap on its connections (descriptors.ts) makes
// Node accept and close what is over it and report each ('drop'); an accept() that fails
// anyway is reported as the server's 'error', which with no listener would crash the process.
// Both are counted and logged by the caller; the server goes on serving.
import type { Server } from 'node:http'

export interface ListenerGuardOptions {
  /** 0: no cap. */
  maxConnections: number
  onDrop: () => void
  onAcceptError: (err: NodeJS.ErrnoException) => void
  onOtherError: (err: Error) => void
}

export function guardListener(server: Server, options: ListenerGuardOptions): void {
  if (options.maxConnections > 0) {
    server.maxConnections = options.maxConnections
    server.on('drop', () => options.onDrop())
  }
  server.on('error', (err: NodeJS.ErrnoException) => {
    if (err.syscall === 'accept') options.onAcceptError(err)
    // A failed listen() is answered to whoever called it (its own listener); anything else is
    // logged rather than thrown from an event.
    else if (server.listenerCount('error') === 1) options.onOtherError(err)
  })
}
