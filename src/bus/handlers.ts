import type { BusHandler } from './bus.ts'

/**
 * The local handlers of each channel, shared by the adapters. `add` and `remove` tell whether
 * the channel just gained its first or lost its last handler (when an adapter (un)subscribes).
 */
export class ChannelHandlers {
  private readonly byChannel = new Map<string, Set<BusHandler>>()

  add(channel: string, handler: BusHandler): boolean {
    let set = this.byChannel.get(channel)
    const first = !set
    if (!set) {
      set = new Set()
      this.byChannel.set(channel, set)
    }
    set.add(handler)
    return first
  }

  remove(channel: string, handler: BusHandler): boolean {
    const set = this.byChannel.get(channel)
    if (!set?.delete(handler)) return false
    if (set.size > 0) return false
    this.byChannel.delete(channel)
    return true
  }

  has(channel: string): boolean {
    return this.byChannel.has(channel)
  }

  dispatch(channel: string, message: string, onError: (err: unknown) => void): void {
    const set = this.byChannel.get(channel)
    if (!set) return
    for (const handler of set) {
      try {
        handler(message)
      } catch (err) {
        onError(err)
      }
    }
  }
}
