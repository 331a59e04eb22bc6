// Uploaded avatars: `PUT /api/me/avatar` (multipart, one picture), `DELETE /api/me/avatar`, and
// `GET /api/users/:id/avatar` (the picture). Registered under /api with the multipart parser in
// this scope only, as the room uploads are.
import type { MultipartFile } from '@fastify/multipart'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { Type } from 'typebox'
import { AVATAR_SIDE, AVATAR_TYPE } from '../../src/avatars/picture.ts'
import { AppError, invalid } from '../../src/errors.ts'
import { errors, IdParams } from '../../src/schemas/common.ts'
import { OwnUser } from '../../src/schemas/users.ts'
import { tooLarge } from '../../src/transfers/service.ts'
import multipart from '../external/multipart.ts'
import { drain } from './upload-drain.ts'

/** The multipart body, for the OpenAPI document: the handler streams it, the validator sees null. */
const PictureBody = Type.Unsafe<unknown>({
  type: 'object',
  nullable: true,
  required: ['file'],
  properties: {
    file: { type: 'string', format: 'binary', description: 'The picture: PNG, JPEG, WebP or GIF' },
  },
})

const AvatarQuery = Type.Object({
  v: Type.Optional(
    Type.String({
      maxLength: 64,
      description: "the version in the user's `avatarUrl`; cached for good when current",
    }),
  ),
})

const UserAnswer = Type.Object({ user: OwnUser })
const YEAR_S = 365 * 86_400

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { accounts, avatars, config } = app.core
  await app.register(multipart)
  app.addHook('preHandler', app.authenticate)
  app.addHook('onError', async (request) => drain(request))

  app.put(
    '/me/avatar',
    {
      schema: {
        operationId: 'setAvatar',
        tags: ['me'],
        summary: `Upload an avatar: multipart, one part named "file", a PNG, JPEG, WebP or GIF (its first frame), else 400 INVALID_IMAGE. Stored as a ${AVATAR_SIDE}×${AVATAR_SIDE} WebP, cropped to a square, without the upload's metadata; replaces the previous one. At most AVATAR_MAX_BYTES (${config.AVATAR_MAX_BYTES}) bytes, else 413 TOO_LARGE. Counts against the upload rate limit.`,
        consumes: ['multipart/form-data'],
        body: PictureBody,
        response: {
          200: UserAnswer,
          ...errors('UNAUTHENTICATED', 'INVALID_IMAGE', 'TOO_LARGE', 'RATE_LIMITED'),
        },
      },
    },
    async (request) => {
      let sourceFailed = false
      const open = async () => {
        let part: MultipartFile | undefined
        try {
          // One byte over the limit: the service's own count is what answers 413.
          part = await request.file({ limits: { fileSize: config.AVATAR_MAX_BYTES + 1 } })
        } catch (err) {
          if ((err as { statusCode?: number }).statusCode === 413) throw tooLarge(config.AVATAR_MAX_BYTES)
          throw invalid(`Malformed multipart body: ${(err as Error).message}`)
        }
        if (!part) return null
        const stream = part.file
        if (part.fieldname !== 'file') {
          stream.resume()
          throw invalid('The picture part must be named "file"')
        }
        stream.on('limit', () => stream.destroy(tooLarge(config.AVATAR_MAX_BYTES)))
        stream.on('error', (err) => {
          if (!(err instanceof AppError)) sourceFailed = true
        })
        return stream
      }
      try {
        await avatars.set(request.auth.userId, open)
      } catch (err) {
        if (err instanceof AppError || !(sourceFailed || request.raw.destroyed)) throw err
        throw invalid('The upload was interrupted or its body is malformed')
      }
      return { user: await accounts.me(request.auth.userId) }
    },
  )

  app.delete(
    '/me/avatar',
    {
      schema: {
        operationId: 'removeAvatar',
        tags: ['me'],
        summary: 'Remove the uploaded avatar: initials again. Idempotent',
        response: { 200: UserAnswer, ...errors('UNAUTHENTICATED') },
      },
    },
    async (request) => {
      await avatars.remove(request.auth.userId)
      return { user: await accounts.me(request.auth.userId) }
    },
  )

  app.get(
    '/users/:id/avatar',
    {
      schema: {
        operationId: 'getAvatar',
        tags: ['users'],
        summary: `A user's uploaded avatar (${AVATAR_SIDE}×${AVATAR_SIDE} ${AVATAR_TYPE}), 404 NOT_FOUND when they have none. Cached for good under the current \`?v=\` of their \`avatarUrl\`; revalidated (ETag) otherwise`,
        params: IdParams,
        querystring: AvatarQuery,
        response: {
          200: {
            description: 'The picture',
            content: { [AVATAR_TYPE]: { schema: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }) } },
          },
          304: Type.Null({ description: 'Not modified (If-None-Match)' }),
          ...errors('UNAUTHENTICATED', 'NOT_FOUND'),
        },
      },
    },
    async (request, typed) => {
      // Bytes or an empty 304: past what the typed reply can say.
      const reply = typed as unknown as FastifyReply
      const avatar = await avatars.read(request.params.id)
      const etag = `"${avatar.id}"`
      reply
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('etag', etag)
        // A versioned URL names one picture forever (a new picture is a new id); an old or
        // missing version is asked again each time, so it follows the current picture.
        .header(
          'cache-control',
          request.query.v === avatar.id ? `private, max-age=${YEAR_S}, immutable` : 'private, no-cache',
        )
      if (request.headers['if-none-match'] === etag) {
        avatar.stream.destroy()
        return reply.code(304).send()
      }
      return reply.type(avatar.contentType).send(avatar.stream)
    },
  )
}

export default routes
