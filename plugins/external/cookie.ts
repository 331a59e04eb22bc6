import cookie from '@fastify/cookie'
import fp from 'fastify-plugin'

// `hook: false`: the Cookie header is parsed when something asks for a cookie (the auth plugin,
// when a request has no Bearer token), not in a hook on every request. Setting cookies works
// either way.
export default fp(async (app) => {
  await app.register(cookie, { hook: false })
})
