// Error answers in the OpenAPI document: completeRoute() adds to a route's documented answers
// what follows from the route's shape (a body can be too large or of another type, a
// cookie-authenticated unsafe method can meet BAD_ORIGIN, anything can fail with INTERNAL). The
// routes name their own codes with errors() (src/schemas/common.ts), whose schemas this reads.

import { codesOf, errorResponse } from '../../schemas/common.ts'
import { ERROR_CODES, type ErrorCode } from '../../schemas/error-codes.ts'

/** A schema with the properties this module reads and writes; the rest is left alone. */
type SchemaLike = Record<string, unknown>

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
