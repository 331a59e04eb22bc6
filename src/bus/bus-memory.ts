// The in-process Bus of the embedded mode: one instance, nothing is ever lost.
import type { Bus } from './bus.ts'
import { ChannelHandlers } from './handlers.ts'

export function createMemoryBus(onError: (err: unknown) => void = () => {}): Bus {
  const handlers = new ChannelHandlers()
  const marks = new Map<string, number>()
  let closed = false
  const publish = async (channel: string, message: string) => {
    if (closed) throw new Error('bus closed')
    // Delivered on a later tick, as a network bus would: a publisher never re-enters itself.
    queueMicrotask(() => handlers.dispatch(channel, message, onError))
  }
  return {
    kind: 'memory',
    publish,
    async publishCounted(channel, message) {
      const subscribed = handlers.has(channel)
      await publish(channel, message)
      return subscribed ? 1 : 0
    },
    async publishMarked(channel, message, mark) {
      await publish(channel, message)
      if (mark > (marks.get(channel) ?? 0)) marks.set(channel, mark)
    },
    async bump(channel) {
      if (closed) throw new Error('bus closed')
      const mark = (marks.get(channel) ?? 0) + 1
      marks.set(channel, mark)
      return mark
    },
    async marks(channels) {
      return channels.map((c) => marks.get(c) ?? 0)
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
