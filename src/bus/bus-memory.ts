// The in-process Bus of the embedded mode: one instance, nothing is ever lost.
import type { Bus } from './bus.ts'
import { ChannelHandlers } from './handlers.ts'

export function createMemoryBus(onError: (err: unknown) => void = () => {}): Bus {
  const handlers = new ChannelHandlers()
  let closed = false
  return {
    kind: 'memory',
    async publish(channel, message) {
      if (closed) throw new Error('bus closed')
      // Delivered on a later tick, as a network bus would: a publisher never re-enters itself.
      queueMicrotask(() => handlers.dispatch(channel, message, onError))
    },
    async subscribe(channel, handler) {
      handlers.add(channel, handler)
      return async () => {
        handlers.remove(channel, handler)
      }
    },
    onResync() {},
    async ping() {
      if (closed) throw new Error('bus closed')
    },
    async close() {
      closed = true
    },
  }
}
