import type { Redis } from 'ioredis'
import type { Ephemeral } from './ephemeral.ts'

export function createRedisEphemeral(redis: Redis, prefix: string): Ephemeral {
  const k = (key: string) => `${prefix}eph:${key}`
  return {
    async put(key, value, ttl) {
      await redis.set(k(key), value, 'EX', ttl)
    },
    async get(key) {
      return redis.get(k(key))
    },
    async take(key) {
      return redis.getdel(k(key))
    },
    async claim(key, ttl) {
      return (await redis.set(k(key), '1', 'EX', ttl, 'NX')) === 'OK'
    },
  }
}
