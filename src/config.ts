// Configuration comes from the environment only, validated by one TypeBox schema.
// A bad or missing value stops start-up with one line naming the variable.
import { isIP } from 'node:net'
import { type Static, Type } from 'typebox'
import { Value } from 'typebox/value'
import { LONGEST_VALID_FRAME_BYTES } from './schemas/frames.ts'

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
  /**
   * The secret the key for data encrypted at rest (TOTP secrets) is derived from (HKDF). Defaults
   * to JWT_SECRET; set it on its own to be able to rotate JWT_SECRET.
   */
  DATA_KEY: Type.Optional(Type.String({ minLength: 32 })),
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
  /**
   * The proxies whose X-Forwarded-* headers are believed: `false` (none), a hop count, or a
   * comma-separated list of addresses / CIDRs (and proxy-addr's `loopback`, `linklocal`,
   * `uniquelocal`). Never `true`: then the client chooses its own address.
   */
  TRUST_PROXY: Type.String({ default: 'false', maxLength: 2000 }),
  SESSION_TTL_DAYS: Int(30, 1, 365),
  ADMIN_USERNAME: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{3,32}$' })),
  ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 8, maxLength: 256 })),
  UPLOAD_MAX_BYTES: Int(25 * 1024 * 1024, 1),
  BODY_LIMIT_BYTES: Int(64 * 1024, 1024),
  /** Login attempts per client address per minute. */
  RATE_LOGIN_IP: Int(30, 1),
  /** Failed logins per (username, client address) per LOGIN_WINDOW_MINUTES, then that pair waits. */
  RATE_LOGIN_USER_IP: Int(10, 1),
  /**
   * Failed logins per username (from any address) per LOGIN_WINDOW_MINUTES; past it only known
   * devices and addresses (where the user signed in before) may still try.
   */
  RATE_LOGIN_USER: Int(50, 1),
  /** The window of the login failure counts, in minutes. */
  LOGIN_WINDOW_MINUTES: Int(15, 1, 24 * 60),
  /** Registrations per client IP per hour. */
  RATE_REGISTER_IP: Int(20, 1),
  /** Wall posts per user per minute. */
  RATE_POST_USER: Int(20, 1),
  /** When set, GET /metrics is served on the API port and wants `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  /** When set, /metrics is served without a token on this port of its own, bound to METRICS_HOST. */
  METRICS_PORT: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  /** Interface of the METRICS_PORT listener: loopback, or e.g. the pod's address (never public). */
  METRICS_HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  /** Serve the Swagger UI at /docs (default: on unless NODE_ENV=production). /openapi.json always is. */
  DOCS: Type.Optional(Type.Boolean()),
  /** Chat messages per user per 10 seconds (HTTP and socket together). */
  RATE_MESSAGE_USER: Int(50, 1),
  /** File uploads per user per minute. */
  RATE_UPLOAD_USER: Int(10, 1),
  /** Largest WebSocket frame a client may send, in bytes: at least the longest valid frame, escaped. */
  WS_MAX_FRAME_BYTES: Int(64 * 1024, LONGEST_VALID_FRAME_BYTES, 1024 * 1024),
  /** Bad frames a socket may send within WS_BAD_FRAME_WINDOW_SECONDS before it is closed (1008). */
  WS_MAX_BAD_FRAMES: Int(20, 1, 10_000),
  WS_BAD_FRAME_WINDOW_SECONDS: Int(60, 1, 3600),
  /** Sockets one user may hold open on one instance. */
  WS_MAX_SOCKETS_PER_USER: Int(20, 1, 10_000),
  /** Rooms one socket may follow at once (a further `join` gets an error frame RATE_LIMITED). */
  WS_MAX_ROOMS_PER_SOCKET: Int(100, 1, 10_000),
  /** Frames per second a socket may send (twice that in a burst) before it is closed with 1008. */
  WS_FRAMES_PER_SECOND: Int(20, 1),
  /** A socket whose unsent data passes this many bytes is too slow and is closed (1013). */
  WS_MAX_BUFFERED_BYTES: Int(1024 * 1024, 1024),
  /** Seconds between server pings; a socket that missed one pong is dropped. */
  WS_HEARTBEAT_SECONDS: Int(30, 1, 3600),
  /** Argon2 memory cost in KiB (OWASP: 19456 with t=2, p=1). */
  ARGON2_MEMORY_KIB: Int(19456, 1024),
  ARGON2_TIME_COST: Int(2, 1, 10),
  /** Seconds a client has to send the request headers. */
  HTTP_HEADERS_TIMEOUT_SECONDS: Int(10, 1, 600),
  /** Seconds a client has to send a whole request, body (and upload) included. */
  HTTP_REQUEST_TIMEOUT_SECONDS: Int(120, 1, 86_400),
  /** Seconds a connection may stay silent (no byte either way) before it is closed. */
  HTTP_IDLE_TIMEOUT_SECONDS: Int(30, 1, 3600),
  /** Seconds an idle keep-alive connection is kept for the client's next request. */
  HTTP_KEEPALIVE_SECONDS: Int(5, 1, 600),
  /** Serve the web app at `/` (false: the API only). */
  WEB_APP: Type.Boolean({ default: true }),
  /** Where the built web app is (`npm run build:web` writes web/dist). */
  WEB_DIR: Type.String({ default: './web/dist', minLength: 1 }),
})

export type RawConfig = Static<typeof ConfigSchema>

/** What Fastify's `trustProxy` takes: nothing, a hop count, or the trusted addresses. */
export type TrustProxy = false | number | string[]

export interface Config extends Omit<RawConfig, 'CORS_ORIGINS' | 'PUBLIC_ORIGINS' | 'TRUST_PROXY' | 'DOCS'> {
  TRUST_PROXY: TrustProxy
  /** Whether /docs (Swagger UI) is served. */
  DOCS: boolean
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
  return {
    ...raw,
    TRUST_PROXY: trustProxy(raw.TRUST_PROXY),
    DOCS: raw.DOCS ?? raw.NODE_ENV !== 'production',
    CORS_ORIGINS: list(raw.CORS_ORIGINS),
    PUBLIC_ORIGINS: list(raw.PUBLIC_ORIGINS),
    scaled,
  }
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal'])

/** `false`, a hop count, or addresses/CIDRs; `true` is refused because it trusts every client. */
function trustProxy(value: string): TrustProxy {
  const v = value.trim()
  if (v === '' || v === 'false') return false
  if (/^\d{1,2}$/.test(v)) return Number(v)
  if (v === 'true')
    throw new ConfigError(
      'Invalid environment variable TRUST_PROXY: "true" would believe any X-Forwarded-For a client sends; give the proxies\' addresses (e.g. 10.0.0.0/8 or loopback) or their hop count (e.g. 1)',
    )
  const entries = v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
  for (const e of entries) {
    const [addr, bits, extra] = e.split('/')
    const ok =
      PROXY_NAMES.has(e) ||
      (extra === undefined &&
        isIP(addr ?? '') !== 0 &&
        (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (isIP(addr!) === 4 ? 32 : 128))))
    if (!ok)
      throw new ConfigError(
        `Invalid environment variable TRUST_PROXY: ${JSON.stringify(e)} is not an address, a CIDR, loopback, linklocal or uniquelocal`,
      )
  }
  return entries
}
