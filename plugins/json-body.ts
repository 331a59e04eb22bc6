// JSON bodies: an empty body with `content-type: application/json` is no body (fetch helpers
// send the header on every request, bodiless POSTs such as join, leave, logout or ws-ticket
// included), not "400 Body cannot be empty". Anything else goes to Fastify's own parser, with
// its protection against prototype poisoning. A string holding a lone UTF-16 surrogate (a `\ud800`
// escape alone) is refused for every route at once: stored as UTF-8 it would come back changed.
import fp from 'fastify-plugin'
import { AppError } from '../src/errors.ts'
import { hasLoneSurrogate } from '../src/lone-surrogate.ts'

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
      parse(request, text, (err: Error | null, value?: unknown) => {
        if (err) return done(err)
        if (hasLoneSurrogate(text, value))
          return done(
            new AppError(400, 'VALIDATION', 'body holds text that is not valid Unicode (a lone surrogate)'),
          )
        done(null, value)
      })
    })
  },
  { name: 'json-body' },
)
