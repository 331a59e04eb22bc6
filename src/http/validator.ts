// The validators of the HTTP input, one rule per part. A JSON body is typed by its sender: it is
// checked as sent, never converted (`{"text":12345}` is refused, not stored as "12345"; a string
// where an array belongs is not wrapped in one), as the socket checks its frames. A query
// string, path parameters and headers are text by nature: there "10" is the number 10, as the
// schema says. Both use Fastify's own compiler (@fastify/ajv-compiler) with the server's `ajv`
// options, so shared schemas ($ref), formats, defaults and removeAdditional work alike.
import AjvCompiler, { type BuildCompilerFromPool, type RouteDefinition } from '@fastify/ajv-compiler'

// What Fastify calls a compiler with, and what it returns (the library's type names the schema only).
type Compile = (route: RouteDefinition) => ReturnType<ReturnType<BuildCompilerFromPool>>

// One pool for the process, as Fastify keeps: an encapsulated context with the same shared
// schemas and options reuses its Ajv instance instead of building another.
const pool = AjvCompiler()

/** Fastify's validator factory: strict for bodies, converting for the parts that come as text. */
export const buildValidator: BuildCompilerFromPool = (externalSchemas, serverOptions = {}) => {
  const fromText = pool(externalSchemas, serverOptions) as unknown as Compile
  const fromJson = pool(externalSchemas, {
    ...serverOptions,
    customOptions: { ...serverOptions.customOptions, coerceTypes: false },
  } as typeof serverOptions) as unknown as Compile
  const compile: Compile = (route) => (route.httpPart === 'body' ? fromJson(route) : fromText(route))
  return compile as unknown as ReturnType<BuildCompilerFromPool>
}
