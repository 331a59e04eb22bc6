// Message search: translates the query to the search service (src/search/search.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errors } from '../../src/schemas/common.ts'
import { SearchPage, SearchQuery } from '../../src/schemas/search.ts'

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preHandler', app.authenticate)
  app.get(
    '',
    {
      schema: {
        operationId: 'searchMessages',
        tags: ['search'],
        summary:
          'Messages of my rooms containing every term of `q`, newest first, with highlights (code point offsets into the text)',
        querystring: SearchQuery,
        response: { 200: SearchPage, ...errors('UNAUTHENTICATED', 'VALIDATION', 'NOT_MEMBER', 'NOT_FOUND') },
      },
    },
    async (request) => app.core.search.search(request.auth.userId, request.query),
  )
}

export default routes
