// Wire schemas shared by every route: ids, times, errors, pages. Types are derived with Static<>.
import { type TSchema, Type } from 'typebox'

/** Page sizes of every list: `?limit=` defaults to 50, at most 200. */
export const DEFAULT_LIMIT = 50
export const MAX_LIMIT = 200

export const Id = Type.String({ pattern: '^[0-9a-f]{24}$', description: '24-hex id' })
export const Time = Type.String({ format: 'date-time' })

export const IdParams = Type.Object({ id: Id })

export const ErrorBody = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.String({ description: 'Stable machine code: branch on it (the list: ERROR_CODES)' }),
    error: Type.String(),
    message: Type.String(),
  },
  { $id: 'Error', title: 'Error', description: 'The one shape of every error answer' },
)

export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT })),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
})

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) })

export { errors } from '../http/api-docs/error-responses.ts'
