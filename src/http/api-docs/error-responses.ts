// Error answers in the OpenAPI document: per status, the machine codes a route may answer with,
// as an enum over the one Error schema, with what each code means as the description. Routes
// name their own codes (errors('NOT_MEMBER', ...)); completeRoute() adds what follows from the
// route's shape (a body can be too large or of another type, a cookie-authenticated unsafe method can
// meet BAD_ORIGIN, anything can fail with INTERNAL).
import { Type } from 'typebox'
import { ERROR_CODES, type ErrorCode, statusesOf } from '../../schemas/error-codes.ts'

/** A schema with the properties this module reads and writes; the rest is left alone. */
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

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export interface RouteShape {
  method: string | string[]
  url: string
  schema: SchemaLike & { response?: Record<string | number, unknown> }
}

/**
 * Completes a route's documented answers: the codes that follow from its shape are added, a
 * route without a 401 is marked public (no security), and success answers get a description.
 */
export function completeRoute({ method, schema }: RouteShape): void {
  schema.response ??= {}
  const response = schema.response
  const methods = (Array.isArray(method) ? method : [method]).map((m) => m.toUpperCase())
  const add = (...codes: ErrorCode[]) => {
    for (const code of codes) {
      const status = ERROR_CODES[code].status as number
      const existing = codesOf(response[status]) ?? []
      if (!existing.includes(code)) response[status] = errorResponse([...existing, code])
    }
  }
  const authenticated = codesOf(response[401])?.includes('UNAUTHENTICATED') ?? false
  if (schema.params || schema.querystring || schema.body || schema.headers) add('VALIDATION')
  // A path parameter longer than the router reads is refused before the route (414).
  if (schema.params) add('URI_TOO_LONG')
  if (schema.body && !(schema.consumes as string[] | undefined)?.includes('multipart/form-data'))
    add('TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE')
  if (authenticated && methods.some((m) => UNSAFE.has(m))) add('BAD_ORIGIN')
  if (!authenticated && schema.security === undefined) schema.security = []
  add('INTERNAL')
  for (const [status, answer] of Object.entries(response)) {
    const code = Number(status)
    if (code >= 400 || typeof answer !== 'object' || answer === null) continue
    if ((answer as SchemaLike).description) continue
    const description =
      code === 204
        ? 'Done; no body'
        : code === 201
          ? `Created. ${schema.summary ?? ''}`
          : String(schema.summary ?? 'OK')
    response[status] = { ...answer, description: description.trim() }
  }
}
