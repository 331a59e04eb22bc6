// The little the core needs of a logger; pino (Fastify's logger) satisfies it.
type LogFn = (obj: object | string, msg?: string) => void

export interface Logger {
  debug: LogFn
  info: LogFn
  warn: LogFn
  error: LogFn
}
