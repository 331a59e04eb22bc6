// Wires the framework-free core into Fastify as the `core` decorator and closes it with the app.
import fp from 'fastify-plugin'
import type { Config } from '../src/config.ts'
import { type Core, createCore } from '../src/core.ts'

declare module 'fastify' {
  interface FastifyInstance {
    core: Core
  }
}

export default fp<{ config: Config }>(
  async (app, { config }) => {
    const core = await createCore(config, app.log)
    app.decorate('core', core)
    app.addHook('onClose', () => core.close())
  },
  { name: 'core' },
)
