// JSON bodies: an empty body with `content-type: application/json` is no body (fetch helpers
// send the header on every request, bodiless POSTs such as join, leave, logout or ws-ticket
// included), not "400 Body cannot be empty". Anything else goes to Fastify's own parser, with
// its protection against prototype poisoning.
import fp from 'fastify-plugin'

export default fp(
  async (app) => {
    const parse = app.getDefaultJsonParser('error', 'error')
    app.removeContentTypeParser('application/json')
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8')
      if (text.trim() === '') {
        done(null, undefined)
        return
      }
      parse(request, text, done)
    })
  },
  { name: 'json-body' },
)
