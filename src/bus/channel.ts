// Typed bus channels: each channel's payload type, its name, and how it is encoded and decoded,
// in one place, so a publisher and its subscribers cannot disagree about a payload's shape.
import type { Bus, Unsubscribe } from './bus.ts'

export interface Channel<T> {
  readonly name: string
  encode(value: T): string
  decode(raw: string): T
}

/** A channel whose payloads are JSON objects written by this code base only. */
export const jsonChannel = <T>(name: string): Channel<T> => ({
  name,
  encode: (value) => JSON.stringify(value),
  decode: (raw) => JSON.parse(raw) as T,
})

export function publishOn<T>(bus: Bus, channel: Channel<T>, value: T): Promise<void> {
  return bus.publish(channel.name, channel.encode(value))
}

/** Subscribes with a typed handler; a payload that does not decode is dropped (never thrown). */
export function subscribeOn<T>(
  bus: Bus,
  channel: Channel<T>,
  handler: (value: T) => void,
  onBad?: (err: unknown) => void,
): Promise<Unsubscribe> {
  return bus.subscribe(channel.name, (raw) => {
    let value: T
    try {
      value = channel.decode(raw)
    } catch (err) {
      onBad?.(err)
      return
    }
    handler(value)
  })
}
