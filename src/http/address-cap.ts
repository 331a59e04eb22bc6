// At most `max` open connections per client address: one address cannot take the descriptors
// every other client needs (a slow body or a stalled request holds one each). The peers that
// are trusted proxies are not capped: each carries many clients. A connection over the cap is
// destroyed as soon as it is accepted, before a byte of it is read.
import type { Server } from 'node:http'
import { plainAddress } from './trusted-proxies.ts'

export interface AddressCapOptions {
  /** 0: no cap. */
  max: number
  /** Peers that are not capped (trusted proxies). */
  exempt: (address: string) => boolean
  onRefused: (address: string) => void
}

/** Counts the server's connections; `open()` is how many are open now (all addresses). */
export function capPerAddress(server: Server, options: AddressCapOptions): { open: () => number } {
  const byAddress = new Map<string, number>()
  let open = 0
  server.on('connection', (socket) => {
    const address = plainAddress(socket.remoteAddress ?? '')
    if (options.max > 0 && !options.exempt(address)) {
      const held = byAddress.get(address) ?? 0
      if (held >= options.max) {
        socket.destroy()
        options.onRefused(address)
        return
      }
      byAddress.set(address, held + 1)
      socket.once('close', () => {
        const left = (byAddress.get(address) ?? 1) - 1
        if (left === 0) byAddress.delete(address)
        else byAddress.set(address, left)
      })
    }
    open++
    socket.once('close', () => open--)
  })
  return { open: () => open }
}
