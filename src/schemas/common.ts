// Wire schemas shared by every route: ids, times, errors, pages. Types are derived with Static<>.
import { type TSchema, Type } from 'typebox'
import { ERROR_CODES, type ErrorCode, statusesOf } from './error-codes.ts'

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

// Error answers, per status: the machine codes a route may answer with, as an enum over the one
// Error schema, with what each code means as the description. Routes name their own codes
// (errors('NOT_MEMBER', ...)); the API documents add those that follow from a route's shape.

/** A schema with the properties read here; the rest is left alone. */
type SchemaLike = Record<string, unknown>

const describe = (codes: readonly ErrorCode[]) =>
  codes.map((code) => `\`${code}\`: ${ERROR_CODES[code].meaning}.`).join(' ')

/** The response schema of one error status: the Error shape, `code` one of `codes`. */
export function errorResponse(codes: readonly ErrorCode[]) {
  return Type.Unsafe<{ statusCode: number; code: ErrorCode; error: string; message: string }>({
    description: describe(codes),
    allOf: [
      { $ref: 'Error' },
      { type: 'object', properties: { code: { type: 'string', enum: [...codes] } } },
    ],
  })
}

/**
 * Response schemas for these codes, grouped by their HTTP status: a code alone goes under its
 * usual status, `[code, status]` under one of its other ones (ERROR_CODES[code].also).
 */
export function errors(
  ...codes: (ErrorCode | [ErrorCode, number])[]
): Record<number, ReturnType<typeof errorResponse>> {
  const byStatus = new Map<number, ErrorCode[]>()
  for (const entry of codes) {
    const [code, status] = Array.isArray(entry) ? entry : [entry, ERROR_CODES[entry].status]
    if (status === 'ws' || !statusesOf(code).includes(status))
      throw new Error(`${code} is not an HTTP ${status} code (src/schemas/error-codes.ts)`)
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  return Object.fromEntries([...byStatus].map(([status, list]) => [status, errorResponse(list)]))
}

/** The codes of an error response schema made by errorResponse(), else null. */
export function codesOf(schema: unknown): ErrorCode[] | null {
  const allOf = (schema as SchemaLike | null)?.allOf
  if (!Array.isArray(allOf)) return null
  const code = (allOf[1] as { properties?: { code?: { enum?: unknown } } } | undefined)?.properties?.code
  return Array.isArray(code?.enum) ? (code.enum as ErrorCode[]) : null
}
