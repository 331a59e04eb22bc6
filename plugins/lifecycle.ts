// The instance's lifecycle as the `lifecycle` decorator, the one owner of `draining`. The drain
// starts when the app begins to close (server.ts on SIGTERM/SIGINT, or app.close() in tests):
// this plugin is registered before the others, so its preClose hook runs before theirs (the
// gateway's drain), and /readyz and upgrades refuse from the first moment.
import fp from 'fastify-plugin'
import { Lifecycle } from '../src/http/lifecycle.ts'

declare module 'fastify' {
  interface FastifyInstance {
    lifecycle: Lifecycle
  }
}

export default fp(
  async (app) => {
    const lifecycle = new Lifecycle()
    app.decorate('lifecycle', lifecycle)
    app.addHook('preClose', async () => lifecycle.drain())
  },
  { name: 'lifecycle' },
)
