// Configuration comes from the environment only, validated by one TypeBox schema.
// A bad or missing value stops start-up with one line naming the variable.
import { type Static, Type } from 'typebox'
import { Value } from 'typebox/value'

const Int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  Type.Integer({ default: def, minimum: min, maximum: max })

export const ConfigSchema = Type.Object({
  NODE_ENV: Type.String({ default: 'development' }),
  PORT: Int(3000, 0, 65535),
  HOST: Type.String({ default: '0.0.0.0', minLength: 1 }),
  DATA_DIR: Type.String({ default: './data', minLength: 1 }),
  MONGODB_URL: Type.Optional(Type.String({ pattern: '^mongodb(\\+srv)?://' })),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  /** Prefix of every Redis key and channel, so several deployments can share one Redis. */
  REDIS_PREFIX: Type.String({ default: 'rc:', pattern: '^[A-Za-z0-9_:.-]{0,64}$' }),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  /** Comma-separated origins allowed by CORS (with credentials). */
  CORS_ORIGINS: Type.String({ default: '' }),
  /** Comma-separated origins the SPA is served from; same-origin requests are always allowed. */
  PUBLIC_ORIGINS: Type.String({ default: '' }),
  /**
   * SameSite of the session cookie. `lax` (default) suits an SPA on the API's own site; `none`
   * lets a cross-site SPA use the cookie, and browsers accept it only with COOKIE_SECURE=true.
   */
  COOKIE_SAMESITE: Type.Union([Type.Literal('lax'), Type.Literal('strict'), Type.Literal('none')], {
    default: 'lax',
  }),
  /** The cookie's Secure flag: unset = over HTTPS only (as the request arrived, see TRUST_PROXY). */
  COOKIE_SECURE: Type.Optional(Type.Boolean()),
  LOG_LEVEL: Type.Union(
    [
      Type.Literal('fatal'),
      Type.Literal('error'),
      Type.Literal('warn'),
      Type.Literal('info'),
      Type.Literal('debug'),
      Type.Literal('trace'),
      Type.Literal('silent'),
    ],
    { default: 'info' },
  ),
  /** Trust X-Forwarded-* headers (set it behind a load balancer). */
  TRUST_PROXY: Type.Boolean({ default: false }),
  SESSION_TTL_DAYS: Int(30, 1, 365),
  ADMIN_USERNAME: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{3,32}$' })),
  ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 8, maxLength: 256 })),
  UPLOAD_MAX_BYTES: Int(25 * 1024 * 1024, 1),
  BODY_LIMIT_BYTES: Int(64 * 1024, 1024),
  /** Login attempts per client IP per minute. */
  RATE_LOGIN_IP: Int(30, 1),
  /** Login attempts per username per minute. */
  RATE_LOGIN_USER: Int(10, 1),
  /** Registrations per client IP per hour. */
  RATE_REGISTER_IP: Int(20, 1),
  /** Wall posts per user per minute. */
  RATE_POST_USER: Int(20, 1),
  /** When set, GET /metrics requires `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  /** Chat messages per user per 10 seconds (HTTP and socket together). */
  RATE_MESSAGE_USER: Int(50, 1),
  /** File uploads per user per minute. */
  RATE_UPLOAD_USER: Int(10, 1),
  /** Largest WebSocket frame a client may send, in bytes (4000 characters JSON-escaped fit). */
  WS_MAX_FRAME_BYTES: Int(32 * 1024, 256, 1024 * 1024),
  /** Frames per second a socket may send (twice that in a burst) before it is closed with 1008. */
  WS_FRAMES_PER_SECOND: Int(20, 1),
  /** A socket whose unsent data passes this many bytes is too slow and is closed (1013). */
  WS_MAX_BUFFERED_BYTES: Int(1024 * 1024, 1024),
  /** Seconds between server pings; a socket that missed one pong is dropped. */
  WS_HEARTBEAT_SECONDS: Int(30, 1, 3600),
  /** Argon2 memory cost in KiB (OWASP: 19456 with t=2, p=1). */
  ARGON2_MEMORY_KIB: Int(19456, 1024),
  ARGON2_TIME_COST: Int(2, 1, 10),
  /** Serve the web app at `/` (false: the API only). */
  WEB_APP: Type.Boolean({ default: true }),
  /** Where the built web app is (`npm run build:web` writes web/dist). */
  WEB_DIR: Type.String({ default: './web/dist', minLength: 1 }),
})

export type RawConfig = Static<typeof ConfigSchema>

export interface Config extends Omit<RawConfig, 'CORS_ORIGINS' | 'PUBLIC_ORIGINS'> {
  CORS_ORIGINS: string[]
  PUBLIC_ORIGINS: string[]
  /** True when MongoDB or Redis is configured: many instances may share state. */
  scaled: boolean
}

export class ConfigError extends Error {}

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim().replace(/\/$/, ''))
    .filter(Boolean)

/** Validates `env` (process.env by default); throws ConfigError with one line naming the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const known = Object.keys(ConfigSchema.properties)
  const input: Record<string, string> = {}
  for (const key of known) {
    const v = env[key]
    if (v !== undefined && v !== '') input[key] = v
  }
  const value = Value.Convert(ConfigSchema, Value.Default(ConfigSchema, input))
  const first = Value.Errors(ConfigSchema, value)[0]
  if (first) {
    const name =
      first.instancePath.replace(/^\//, '') ||
      (first.params as { requiredProperties?: string[] }).requiredProperties?.[0] ||
      'configuration'
    const got = name in input ? ` (got ${JSON.stringify(input[name])})` : ''
    throw new ConfigError(`Invalid environment variable ${name}: ${first.message}${got}`)
  }
  const raw = value as RawConfig
  const scaled = Boolean(raw.MONGODB_URL || raw.REDIS_URL)
  if (scaled && !raw.JWT_SECRET) {
    throw new ConfigError(
      'Invalid environment variable JWT_SECRET: required (at least 32 characters) when MONGODB_URL or REDIS_URL is set',
    )
  }
  if (Boolean(raw.ADMIN_USERNAME) !== Boolean(raw.ADMIN_PASSWORD)) {
    throw new ConfigError(
      'Invalid environment variable ADMIN_PASSWORD: ADMIN_USERNAME and ADMIN_PASSWORD go together',
    )
  }
  if (raw.COOKIE_SAMESITE === 'none' && raw.COOKIE_SECURE !== true) {
    throw new ConfigError(
      'Invalid environment variable COOKIE_SAMESITE: "none" needs COOKIE_SECURE=true (browsers drop a SameSite=None cookie without Secure)',
    )
  }
  for (const name of ['CORS_ORIGINS', 'PUBLIC_ORIGINS'] as const) {
    for (const o of list(raw[name])) {
      if (!/^https?:\/\/[^/\s]+$/.test(o))
        throw new ConfigError(
          `Invalid environment variable ${name}: ${JSON.stringify(o)} is not an origin like https://example.com`,
        )
    }
  }
  return { ...raw, CORS_ORIGINS: list(raw.CORS_ORIGINS), PUBLIC_ORIGINS: list(raw.PUBLIC_ORIGINS), scaled }
}
