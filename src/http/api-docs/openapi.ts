// The last touches on the OpenAPI document @fastify/swagger generates from the routes: titled
// wire schemas become named components, and the HEAD twin of a GET gets an operationId of its own.
import { nameComponents } from './components.ts'

type Doc = Record<string, unknown> & {
  paths?: Record<string, Record<string, { operationId?: string } & Record<string, unknown>>>
  components?: { schemas?: Record<string, unknown> } & Record<string, unknown>
}

export function finishOpenApi<T>(input: T): T {
  const doc = input as Doc
  doc.components ??= {}
  doc.components.schemas ??= {}
  const schemas = doc.components.schemas
  doc.paths = nameComponents(doc.paths ?? {}, schemas, '#/components/schemas/') as Doc['paths']
  for (const item of Object.values(doc.paths ?? {})) {
    const head = item.head
    if (head?.operationId && head.operationId === item.get?.operationId)
      head.operationId = `${head.operationId}Head`
  }
  return input
}
