// The Redis Bus: PUBLISH on the shared command connection, SUBSCRIBE on a connection of its
// own (a subscribed connection can run no other command). One Redis subscription per channel
// with local handlers, whatever their number; unsubscribed when the last handler goes.
import type { Redis } from 'ioredis'
import type { Bus } from './bus.ts'
import { ChannelHandlers } from './handlers.ts'

const MARKS_BATCH = 1000

export async function createRedisBus(
  redis: Redis,
  prefix: string,
  onError: (err: unknown) => void = () => {},
): Promise<Bus> {
  const sub = redis.duplicate({ lazyConnect: true })
  const handlers = new ChannelHandlers()
  const resyncListeners: (() => void)[] = []
  /** The SUBSCRIBE of each channel, so every subscriber waits until it is confirmed. */
  const confirmed = new Map<string, Promise<unknown>>()
  let ready = false

  sub.on('error', onError)
  sub.on('message', (channel: string, message: string) => {
    handlers.dispatch(channel.slice(prefix.length), message, onError)
  })
  // ioredis re-subscribes by itself after a reconnect (autoResubscribe); what was published
  // in between is gone, so the listeners repair from the store.
  sub.on('ready', () => {
    if (ready) for (const l of resyncListeners) l()
    ready = true
  })
  await sub.connect()

  // Marks: one sorted set, member = channel, score = mark; ZADD GT never lowers a score.
  const marksKey = `${prefix}bus:marks`
  return {
    kind: 'redis',
    async publish(channel, message) {
      await redis.publish(prefix + channel, message)
    },
    // One subscriber connection per instance: PUBLISH's count of receiving clients is the instances.
    async publishCounted(channel, message) {
      return redis.publish(prefix + channel, message)
    },
    async publishMarked(channel, message, mark) {
      const results = await redis
        .multi()
        .zadd(marksKey, 'GT', mark, channel)
        .publish(prefix + channel, message)
        .exec()
      const failed = results?.find(([err]) => err)
      if (failed) throw failed[0]
    },
    async bump(channel) {
      return Number(await redis.zincrby(marksKey, 1, channel))
    },
    async marks(channels) {
      const out: number[] = []
      for (let i = 0; i < channels.length; i += MARKS_BATCH) {
        const scores = (await redis.call('ZMSCORE', marksKey, ...channels.slice(i, i + MARKS_BATCH))) as (
          | string
          | null
        )[]
        for (const s of scores) out.push(s === null ? 0 : Number(s))
      }
      return out
    },
    async subscribe(channel, handler) {
      if (handlers.add(channel, handler)) confirmed.set(channel, sub.subscribe(prefix + channel))
      await confirmed.get(channel)
      return async () => {
        if (handlers.remove(channel, handler)) {
          confirmed.delete(channel)
          if (sub.status === 'ready') await sub.unsubscribe(prefix + channel)
        }
      }
    },
    onResync(listener) {
      resyncListeners.push(listener)
    },
    async ping() {
      await Promise.all([
        redis.ping(),
        sub.status === 'ready' ? Promise.resolve() : Promise.reject(new Error('subscriber down')),
      ])
    },
    async close() {
      sub.disconnect()
    },
  }
}
