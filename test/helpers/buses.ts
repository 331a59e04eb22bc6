// Bus deployments for the suites that run over every bus: the instances of one deployment share
// its channels and marks, as the instances behind a load balancer share one Redis.
import { Redis } from 'ioredis'
import type { Test } from 'tap'
import type { Bus } from '../../src/bus/bus.ts'
import { createMemoryBus } from '../../src/bus/bus-memory.ts'
import { createRedisBus } from '../../src/bus/bus-redis.ts'
import { needServer, redisUrl, uniquePrefix } from './servers.ts'

export type BusDeployment = { instance(): Promise<Bus> }

/** The embedded mode: one process is one deployment, every "instance" shares the in-process bus. */
export async function memoryDeployment(t: Test): Promise<BusDeployment> {
  const bus = createMemoryBus()
  t.teardown(() => bus.close())
  return { instance: async () => bus }
}

/** Instances with Redis connections of their own under one fresh prefix; null without Redis. */
export async function redisDeployment(t: Test): Promise<BusDeployment | null> {
  if (!needServer(t, 'Redis', redisUrl)) return null
  const url = redisUrl
  const prefix = uniquePrefix()
  const clients: Redis[] = []
  const buses: Bus[] = []
  t.teardown(async () => {
    for (const b of buses) await b.close()
    for (const c of clients) c.disconnect()
  })
  return {
    async instance() {
      const redis = new Redis(url)
      clients.push(redis)
      const bus = await createRedisBus(redis, prefix)
      buses.push(bus)
      return bus
    },
  }
}
