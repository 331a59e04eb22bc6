// At most `max` open connections per client address: one address cannot take the descriptors
// every other client needs (a slow body or a stalled request holds one each). The peers that
// are trusted proxies are not capped: each carries many clients. A connection over the cap is
// destroyed as soon as it is accepted, before a byte of it is read.
import type { Server } from 'node:http'

export interface AddressCapOptions {
  /** 0: no cap. */
  max: number
  /** Peers that are not capped (trusted proxies). */
  exempt: (address: string) => boolean
  onRefused: (address: string) => void
}

/** The IPv4 address inside an IPv4-mapped IPv6 one (`::ffff:10.0.0.1`): one client, one key. */
const plainAddress = (address: string) =>
  address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address

export function capPerAddress(server: Server, options: AddressCapOptions): void {
  if (options.max <= 0) return
  const held = new Map<string, number>()
  // First among the listeners: a refused connection never reaches the HTTP layer's.
  server.prependListener('connection', (socket) => {
    const address = plainAddress(socket.remoteAddress ?? '')
    if (options.exempt(address)) return
    const count = held.get(address) ?? 0
    if (count >= options.max) {
      socket.destroy()
      options.onRefused(address)
      return
    }
    held.set(address, count + 1)
    socket.once('close', () => {
      const left = (held.get(address) ?? 1) - 1
      if (left === 0) held.delete(address)
      else held.set(address, left)
    })
  })
}
