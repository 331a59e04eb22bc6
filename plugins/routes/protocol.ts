// GET /asyncapi.json: the WebSocket protocol of /ws as an AsyncAPI 3 document, generated from
// the frame schemas (src/http/api-docs/asyncapi.ts), beside /openapi.json.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { buildAsyncApi } from '../../src/http/api-docs/asyncapi.ts'

const VERSION = '0.1.0'

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/asyncapi.json',
    {
      schema: {
        operationId: 'asyncApi',
        tags: ['operations'],
        summary: 'The WebSocket protocol of /ws as an AsyncAPI 3 document',
        response: {
          200: Type.Object(
            {},
            { additionalProperties: true, description: 'An AsyncAPI 3 document (asyncapi.com)' },
          ),
        },
      },
    },
    async (request) =>
      buildAsyncApi({ version: VERSION, host: request.host, secure: request.protocol === 'https' }),
  )
}

export default routes
