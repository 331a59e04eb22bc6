// File transfer: `POST /api/rooms/:id/files` (multipart, streamed) and `GET /api/files/:id`
// (streamed, with ranges). Registered under /api with the multipart parser in this scope only:
// elsewhere a multipart body stays an unsupported media type.
import type { MultipartFile } from '@fastify/multipart'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { AppError, invalid } from '../../src/errors.ts'
import { errors, IdParams } from '../../src/schemas/common.ts'
import { FileInfo, Message } from '../../src/schemas/rooms.ts'
import {
  contentDisposition,
  INLINE_TYPES,
  OCTET_STREAM,
  parseRange,
  presentation,
} from '../../src/transfers/policy.ts'
import { type IncomingFile, tooLarge } from '../../src/transfers/service.ts'
import { toMessageView } from '../../src/views/rooms.ts'
import { errorBody } from '../errors.ts'
import multipart from '../external/multipart.ts'
import { drain } from './upload-drain.ts'

const Binary = Type.Unsafe<Buffer>({ type: 'string', format: 'binary' })

/**
 * The multipart body, for the OpenAPI document. The file is streamed by the handler, so the
 * validator sees no body (null, hence `nullable`): this schema documents, it does not parse.
 */
const UploadBody = Type.Unsafe<unknown>({
  type: 'object',
  nullable: true,
  required: ['file'],
  properties: { file: { type: 'string', format: 'binary', description: 'The file; its part names it' } },
})

const bytesAnswer = (description: string) => ({
  description,
  content: Object.fromEntries([OCTET_STREAM, ...INLINE_TYPES].map((type) => [type, { schema: Binary }])),
})

/** The upload failed because of the client (a malformed or interrupted body), not the server. */
function clientFault(request: FastifyRequest, sourceFailed: boolean): boolean {
  return sourceFailed || request.raw.destroyed
}

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { files, config } = app.core
  const tags = ['files']
  await app.register(multipart)
  app.addHook('preHandler', app.authenticate)
  // An answer given before the whole body arrived: the rest is read and dropped (upload-drain.ts).
  app.addHook('onError', async (request) => drain(request))

  app.post(
    '/rooms/:id/files',
    {
      schema: {
        operationId: 'uploadFile',
        tags,
        summary: `Upload a file (members only): multipart, one part named "file". Posts a \`file\` message in the room. At most UPLOAD_MAX_BYTES (${config.UPLOAD_MAX_BYTES}) bytes, else 413 TOO_LARGE.`,
        consumes: ['multipart/form-data'],
        params: IdParams,
        body: UploadBody,
        response: {
          201: Type.Object({ file: FileInfo, message: Message }),
          ...errors('UNAUTHENTICATED', 'NOT_MEMBER', 'BLOCKED', 'NOT_FOUND', 'TOO_LARGE', 'RATE_LIMITED'),
        },
      },
    },
    async (request, reply) => {
      let sourceFailed = false
      const open = async (): Promise<IncomingFile | null> => {
        let part: MultipartFile | undefined
        try {
          part = await request.file()
        } catch (err) {
          if ((err as { statusCode?: number }).statusCode === 413) throw err
          throw invalid(`Malformed multipart body: ${(err as Error).message}`)
        }
        if (!part) return null
        const stream = part.file
        if (part.fieldname !== 'file') {
          stream.resume()
          throw invalid('The file part must be named "file"')
        }
        stream.on('limit', () => stream.destroy(tooLarge(config.UPLOAD_MAX_BYTES)))
        stream.on('error', (err) => {
          if (!(err instanceof AppError)) sourceFailed = true
        })
        return { name: part.filename, contentType: part.mimetype, stream }
      }
      try {
        const { file, message } = await files.upload(request.auth.userId, request.params.id, open)
        return reply.code(201).send({ file, message: toMessageView(message) })
      } catch (err) {
        if (err instanceof AppError || !clientFault(request, sourceFailed)) throw err
        throw invalid('The upload was interrupted or its body is malformed')
      }
    },
  )

  app.route({
    method: ['GET', 'HEAD'],
    url: '/files/:id',
    schema: {
      operationId: 'downloadFile',
      tags,
      summary:
        'Download a file (members of its room only). Raster images are served inline as themselves; everything else as application/octet-stream, as an attachment. `Range: bytes=a-b` gets 206.',
      params: IdParams,
      headers: Type.Object({ range: Type.Optional(Type.String()) }),
      response: {
        200: bytesAnswer('The whole file'),
        206: bytesAnswer('The requested range (Content-Range)'),
        304: Type.Null({ description: 'Not modified (If-None-Match)' }),
        ...errors('UNAUTHENTICATED', 'NOT_MEMBER', 'NOT_FOUND', 'RANGE_NOT_SATISFIABLE'),
      },
    },
    handler: async (request, typed) => {
      // Bytes, a stream, or an error body: past what the typed reply can say.
      const reply = typed as unknown as FastifyReply
      const file = await files.find(request.auth.userId, request.params.id)
      const etag = `"${file.id}"`
      // Whatever the answer, it is never a page or a script of our origin.
      reply
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('cache-control', 'private, no-cache')
        .header('etag', etag)
        .header('accept-ranges', 'bytes')
      reply.headers(app.documentHeaders)
      if (request.headers['if-none-match'] === etag) return reply.code(304).send()
      const ifRange = request.headers['if-range']
      const range =
        ifRange === undefined || ifRange === etag ? parseRange(request.headers.range, file.size) : null
      if (range === 'unsatisfiable') {
        return reply
          .code(416)
          .header('content-range', `bytes */${file.size}`)
          .send(errorBody(416, 'RANGE_NOT_SATISFIABLE', `The file has ${file.size} bytes`))
      }
      const shown = presentation(file.contentType)
      reply
        .header('content-type', shown.contentType)
        .header('content-disposition', contentDisposition(file.name, shown.inline))
        .header('last-modified', file.createdAt.toUTCString())
        .header('content-length', range ? range.end - range.start + 1 : file.size)
      if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${file.size}`)
      if (request.method === 'HEAD') return reply.send()
      return reply.send(await files.read(file, range ?? undefined))
    },
  })
}

export default routes
