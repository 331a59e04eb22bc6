// Redis Presence: one sorted set per room whose members are `user|instance`, scored by the
// time the hold expires. Instances refresh their holds every few seconds; a dead instance's
// holds simply expire, and readers ignore expired scores (and trim them now and then).
import type { Redis } from 'ioredis'
import type { Presence } from './presence.ts'

export function createRedisPresence(
  redis: Redis,
  prefix: string,
  instanceId: string,
  ttlSeconds = 15,
): Presence {
  const key = (room: string) => `${prefix}presence:${room}`
  const users = (members: string[]) => [...new Set(members.map((m) => m.slice(0, m.indexOf('|'))))].sort()
  return {
    ttlSeconds,
    async hold(entries) {
      if (entries.length === 0) return
      const until = Date.now() + ttlSeconds * 1000
      const pipeline = redis.pipeline()
      for (const { room, user } of entries) {
        pipeline.zadd(key(room), until, `${user}|${instanceId}`)
        pipeline.pexpire(key(room), ttlSeconds * 4000)
      }
      await pipeline.exec()
    },
    async release(room, user) {
      await redis.zrem(key(room), `${user}|${instanceId}`)
    },
    async online(room) {
      const now = Date.now()
      const [[, members]] = (await redis
        .multi()
        .zrangebyscore(key(room), now, '+inf')
        .zremrangebyscore(key(room), '-inf', now - ttlSeconds * 1000)
        .exec()) as [[unknown, string[]]]
      return users(members)
    },
    async onlineMany(rooms) {
      if (rooms.length === 0) return []
      // Reads only: expired entries are trimmed by `online`, and their keys expire anyway.
      const now = Date.now()
      const pipeline = redis.pipeline()
      for (const room of rooms) pipeline.zrangebyscore(key(room), now, '+inf')
      const results = (await pipeline.exec()) ?? []
      return results.map(([err, members]) => {
        if (err) throw err
        return users(members as string[])
      })
    },
  }
}
