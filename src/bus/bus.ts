// The Bus port: publish/subscribe between the instances of one deployment.
//
// Guarantees (test/contract/bus.test.ts checks them on every adapter):
// - A message published on a channel reaches every handler subscribed to that channel when it
//   was published, on every instance, including the publishing one.
// - Messages from one publisher on one channel arrive in the order they were published.
// - Delivery is at most once. A message published while an instance's subscriber connection is
//   down is lost for that instance; `onResync` tells it the connection is back, so whoever
//   depends on the bus (chat delivery, session revocation caches) can repair from the Store.
// - Handlers are called one message at a time per channel and must not throw.
// - `publishCounted` publishes as `publish` does and returns how many instances were subscribed
//   to the channel (each once): a request over the bus knows how many answers to wait for.
// - Marks: `publishMarked` publishes and raises the channel's mark (a number that never goes
//   down) in one round trip; `marks` reads the marks of many channels in one round trip. A
//   subscriber that lost a publish learns from the mark that it missed something, without asking
//   the store about every channel it follows.
// - Tickets: `bump` raises a channel's mark by exactly one and returns it, atomically across
//   instances, so no two callers get the same number. A publisher takes one before a change it
//   will announce with that number: a subscriber that sees a number below the mark never arrive
//   knows an announcement was lost, or its publisher died between the ticket and the publish.

export type BusHandler = (message: string) => void
export type Unsubscribe = () => Promise<void>

export interface Bus {
  readonly kind: 'memory' | 'redis'
  publish(channel: string, message: string): Promise<void>
  /**
   * Publishes, and says how many instances were subscribed to the channel then (each counts
   * once, however many handlers it has): how many answers a request over the bus can expect.
   */
  publishCounted(channel: string, message: string): Promise<number>
  /** Publishes, and raises the channel's mark to `mark` unless it is higher already. */
  publishMarked(channel: string, message: string, mark: number): Promise<void>
  /** Raises the channel's mark by one and returns it: a ticket no other caller gets. */
  bump(channel: string): Promise<number>
  /** The marks of these channels, in the same order; 0 for a channel never marked. */
  marks(channels: string[]): Promise<number[]>
  /** Resolves once the subscription is active: messages published after that are received. */
  subscribe(channel: string, handler: BusHandler): Promise<Unsubscribe>
  /** Called after the subscriber connection came back from an outage (never for the first connect). */
  onResync(listener: () => void): void
  ping(): Promise<void>
  close(): Promise<void>
}
