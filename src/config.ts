// Configuration comes from the environment only, validated by one TypeBox schema.
// A bad or missing value stops start-up with one line naming the variable.
import { isIP } from 'node:net'
import { type Static, Type } from 'typebox'
import { Value } from 'typebox/value'
import { LONGEST_VALID_FRAME_BYTES } from './schemas/frames.ts'

const Int = (description: string, def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  Type.Integer({ default: def, minimum: min, maximum: max, description })

// Every variable's default and description live here once: docs/configuration.md is generated
// from this schema (npm run docs:config; test/docs-config.test.ts fails when it is stale).
export const ConfigSchema = Type.Object({
  NODE_ENV: Type.String({
    default: 'development',
    description: '`production` turns the Swagger UI at `/docs` off (unless `DOCS=true`)',
  }),
  PORT: Int('HTTP and WebSocket port', 3000, 0, 65535),
  HOST: Type.String({ default: '0.0.0.0', minLength: 1, description: 'interface to listen on' }),
  DATA_DIR: Type.String({
    default: './data',
    minLength: 1,
    description: 'embedded store (`chat.db`), uploaded files, the generated JWT secret',
  }),
  MONGODB_URL: Type.Optional(
    Type.String({
      pattern: '^mongodb(\\+srv)?://',
      description: '`mongodb://…/dbname`: use MongoDB instead of SQLite',
    }),
  ),
  REDIS_URL: Type.Optional(
    Type.String({
      pattern: '^rediss?://',
      description: '`redis://…`: use Redis for the bus, presence, limits and revocation',
    }),
  ),
  REDIS_PREFIX: Type.String({
    default: 'rc:',
    pattern: '^[A-Za-z0-9_:.-]{0,64}$',
    description: 'prefix of every Redis key and channel (several deployments on one Redis)',
  }),
  JWT_SECRET: Type.Optional(
    Type.String({
      minLength: 32,
      description:
        'the secret sessions are signed with. Unset (embedded only): generated once into `DATA_DIR/jwt-secret` (mode 600) so restarts keep sessions. Required in the scaled mode, the same on every instance',
    }),
  ),
  DATA_KEY: Type.Optional(
    Type.String({
      minLength: 32,
      description:
        'the key for secrets kept at rest (TOTP secrets, AES-256-GCM) is derived from it with HKDF. Unset: `JWT_SECRET`. Set it on its own to be able to rotate `JWT_SECRET` without losing two-factor secrets',
    }),
  ),
  CORS_ORIGINS: Type.String({
    default: '',
    description: 'comma-separated origins allowed by CORS, with credentials',
  }),
  PUBLIC_ORIGINS: Type.String({
    default: '',
    description:
      'comma-separated origins the SPA is served from; they (and same-origin requests, always) may use the cookie for unsafe methods and open sockets',
  }),
  COOKIE_SAMESITE: Type.Union([Type.Literal('lax'), Type.Literal('strict'), Type.Literal('none')], {
    default: 'lax',
    description:
      "SameSite of the session cookie. `lax` suits an SPA on the API's own site; `none` (a cross-site SPA on the cookie) needs `COOKIE_SECURE=true`, else start-up stops",
  }),
  COOKIE_SECURE: Type.Optional(
    Type.Boolean({
      description:
        "the cookie's Secure flag; unset: Secure when the request came over HTTPS (see `TRUST_PROXY`)",
    }),
  ),
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
    { default: 'info', description: 'the lowest level logged (pino JSON on stdout)' },
  ),
  TRUST_PROXY: Type.String({
    default: 'false',
    maxLength: 2000,
    description:
      'the proxies whose `X-Forwarded-*` are believed (client address for the limits, HTTPS for the Secure cookie): `false` (none), their addresses or CIDRs, comma-separated (`loopback`, `linklocal`, `uniquelocal` = private ranges also work), or a hop count (`1`). `true` is refused: it would let any client choose its own address',
  }),
  SESSION_TTL_DAYS: Int('lifetime of a session (cookie and token), in days', 30, 1, 365),
  ADMIN_USERNAME: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_.-]{3,32}$',
      description: 'with `ADMIN_PASSWORD`: create (or promote) this admin at start when the store has none',
    }),
  ),
  ADMIN_PASSWORD: Type.Optional(
    Type.String({
      minLength: 8,
      maxLength: 256,
      description: 'the password of `ADMIN_USERNAME`; the two go together',
    }),
  ),
  UPLOAD_MAX_BYTES: Int('largest uploaded file (25 MiB)', 25 * 1024 * 1024, 1),
  AVATAR_MAX_BYTES: Int('largest avatar picture uploaded, before it is resized (5 MiB)', 5 * 1024 * 1024, 1),
  BODY_LIMIT_BYTES: Int('largest JSON body', 64 * 1024, 1024),
  RATE_LOGIN_IP: Int('login attempts per minute per client address', 30, 1),
  RATE_LOGIN_USER_IP: Int(
    'failed logins per (username, client address) per `LOGIN_WINDOW_MINUTES`; then that pair waits',
    10,
    1,
  ),
  RATE_LOGIN_USER: Int(
    'failed logins per username from any address per `LOGIN_WINDOW_MINUTES`; then only known devices and addresses (where the user signed in before) may try',
    50,
    1,
  ),
  LOGIN_WINDOW_MINUTES: Int('the window of the two login failure counts, in minutes', 15, 1, 24 * 60),
  RATE_REGISTER_IP: Int('registrations per hour per client address', 20, 1),
  RATE_POST_USER: Int('wall posts per minute per user', 20, 1),
  RATE_REPORTS: Int('reports of messages (`POST /api/reports`) per hour per user', 20, 1),
  RATE_EXPORTS_PER_DAY: Int('account exports (`GET /api/me/export`) per day per user', 3, 1),
  MEMBER_INVITES_PER_DAY: Int(
    'invite codes a member may mint for themselves (`POST /api/me/invite-codes`) per day; 0 turns member invites off (403 `INVITES_DISABLED`); admins are not counted',
    3,
    0,
  ),
  METRICS_TOKEN: Type.Optional(
    Type.String({
      minLength: 16,
      description:
        'when set, `GET /metrics` is served on the API port and wants `Authorization: Bearer <token>`; unset, the API port has no `/metrics`',
    }),
  ),
  METRICS_PORT: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 65535,
      description:
        'when set, `/metrics` is served without a token on this port of its own, bound to `METRICS_HOST`',
    }),
  ),
  METRICS_HOST: Type.String({
    default: '127.0.0.1',
    minLength: 1,
    description:
      "interface of the `METRICS_PORT` listener: loopback, or the pod's address in Kubernetes; never a public one",
  }),
  DOCS: Type.Optional(
    Type.Boolean({
      description:
        'serve the Swagger UI at `/docs` (`/openapi.json` always is); unset: on unless `NODE_ENV=production`',
    }),
  ),
  RATE_MESSAGE_USER: Int('chat messages per 10 s per user (socket and HTTP together)', 50, 1),
  RATE_UPLOAD_USER: Int('file uploads per minute per user', 10, 1),
  RATE_TICKET_USER: Int('socket tickets (`POST /api/auth/ws-ticket`) per minute per user', 60, 1),
  RATE_WEBHOOK: Int('messages per minute per incoming webhook (`POST /hooks/:hookId/:secret`)', 30, 1),
  WS_MAX_FRAME_BYTES: Int(
    "largest frame a client may send (larger: close 1008; over four times that, the WebSocket library's 1009); at least the longest valid `send` however it is escaped",
    64 * 1024,
    LONGEST_VALID_FRAME_BYTES,
    1024 * 1024,
  ),
  WS_MAX_BAD_FRAMES: Int(
    'bad frames a socket may send within `WS_BAD_FRAME_WINDOW_SECONDS` (more: close 1008)',
    20,
    1,
    10_000,
  ),
  WS_BAD_FRAME_WINDOW_SECONDS: Int('the window of `WS_MAX_BAD_FRAMES`, in seconds', 60, 1, 3600),
  WS_MAX_SOCKETS_PER_USER: Int(
    'sockets one user may hold on one instance (more: the upgrade answers 429)',
    20,
    1,
    10_000,
  ),
  WS_MAX_ROOMS_PER_SOCKET: Int(
    'rooms one socket may follow at once (a further `join`: error frame `RATE_LIMITED`)',
    100,
    1,
    10_000,
  ),
  WS_FRAMES_PER_SECOND: Int(
    'frames per second per socket, bursts of twice that, counted by when they reached the instance (more: close 1008)',
    20,
    1,
  ),
  WS_REPLAY_MAX_EVENTS: Int(
    'events one `join {since}` replays at most; past that, its `joined` says `skipped` and the client pages that part through `GET /api/rooms/:id/messages`',
    500,
    1,
    10_000,
  ),
  WS_REPLAY_EVENTS_PER_MINUTE: Int(
    'events replayed to one socket per minute, all its joins together (bursts of that many); a join past it is answered `skipped` as one past `WS_REPLAY_MAX_EVENTS`',
    5000,
    1,
  ),
  WS_MAX_BUFFERED_BYTES: Int(
    'unsent bytes after which a socket counts as too slow (close 1013)',
    1024 * 1024,
    1024,
  ),
  WS_HEARTBEAT_SECONDS: Int('ping interval in seconds; a socket that missed a pong is dropped', 30, 1, 3600),
  ARGON2_MEMORY_KIB: Int(
    "argon2id memory cost in KiB (OWASP's recommendation: 19 MiB with t=2, p=1)",
    19456,
    1024,
  ),
  ARGON2_TIME_COST: Int('argon2id time cost (iterations)', 2, 1, 10),
  HTTP_HEADERS_TIMEOUT_SECONDS: Int(
    "seconds a client has to send the request headers, from the connection's opening (a later request on a kept-alive connection: from its first byte); then 408 and the connection closes",
    10,
    1,
    600,
  ),
  HTTP_REQUEST_TIMEOUT_SECONDS: Int(
    'seconds a client has to send a whole request, body and upload included (then 408 and the connection closes); raise it for large uploads over slow links',
    120,
    1,
    86_400,
  ),
  HTTP_BODY_TIMEOUT_SECONDS: Int(
    'seconds a client has to send a request body once its headers are in, for every route but uploads (which have `HTTP_REQUEST_TIMEOUT_SECONDS`); then 408 and the connection closes',
    10,
    1,
    3600,
  ),
  MAX_CONNECTIONS_PER_ADDRESS: Int(
    'connections one client address may hold open at once, WebSockets included (more are closed as soon as accepted, counted and logged): about three per person behind one NAT address (a socket and two HTTP connections). The proxies `TRUST_PROXY` names are not capped (with a hop count, no peer is): the proxy caps its clients. 0: no cap',
    512,
    0,
    1_000_000,
  ),
  MAX_CONNECTIONS: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 10_000_000,
      description:
        "connections the instance holds at once (more are closed as soon as accepted, counted and logged). Unset: the process's descriptor limit less a reserve of 10% (at least 128) for its files and the store's and the bus's connections. 0: no cap",
    }),
  ),
  HTTP_IDLE_TIMEOUT_SECONDS: Int(
    'seconds a connection may stay silent (no byte either way) before it is closed',
    30,
    1,
    3600,
  ),
  HTTP_KEEPALIVE_SECONDS: Int(
    "seconds an idle keep-alive connection waits for the client's next request: longer than a proxy's or a client's own idle time-out (60 s at most usually), so that none of them sends a request on a connection the server is closing (a reset they would see as a failed request)",
    72,
    1,
    600,
  ),
  // Reaching people who are away: push, mail, password reset (docs/notifications.md).
  NOTIFICATIONS: Type.Boolean({
    default: true,
    description:
      '`false`: no message causes a push or a mail (the routes still answer); the queue is not worked off',
  }),
  PUBLIC_URL: Type.Optional(
    Type.String({
      pattern: '^https?://[^/\\s]+(/[^\\s]*)?$',
      description:
        'the address people open the web app at, for the links in mails and the `url` of pushes; unset: `http://localhost:PORT`',
    }),
  ),
  VAPID_PUBLIC_KEY: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_-]{87}$',
      description:
        'the VAPID public key (base64url, RFC 8292) pushes are signed with; with `VAPID_PRIVATE_KEY`. Unset (embedded): a pair is generated once into `DATA_DIR/vapid.json` (mode 600). In the scaled mode every instance needs the same pair: without it push is off (`GET /api/push/key` answers 404)',
    }),
  ),
  VAPID_PRIVATE_KEY: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_-]{43}$',
      description: 'the VAPID private key (base64url); `npx web-push generate-vapid-keys` makes a pair',
    }),
  ),
  VAPID_SUBJECT: Type.String({
    default: 'mailto:admin@localhost',
    pattern: '^(mailto:|https://)',
    description: 'how push services reach the operator: `mailto:` or an `https:` URL',
  }),
  PUSH_ALLOW_HTTP: Type.Boolean({
    default: false,
    description: 'accept `http:` push endpoints (tests with a push service on loopback); never in production',
  }),
  PUSH_PER_MINUTE: Int(
    'pushes one user gets per minute; past it, one "n new messages" per device at the end of the minute',
    10,
    1,
    1000,
  ),
  NOTIFY_DELAY_SECONDS: Int(
    'how long after a message a notification waits: sent only if the user has not read past it and follows the room on no socket by then',
    10,
    0,
    3600,
  ),
  SMTP_URL: Type.Optional(
    Type.String({
      pattern: '^smtps?://',
      description:
        "`smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465`: mail on. Unset: the mail routes answer 404 and an admin's reset link is the way back in",
    }),
  ),
  MAIL_FROM: Type.String({
    default: 'Roomchat <no-reply@localhost>',
    minLength: 3,
    maxLength: 320,
    description: 'the `From` of every mail',
  }),
  RESET_TOKEN_MINUTES: Int('how long a password reset link works, in minutes', 30, 1, 7 * 24 * 60),
  EMAIL_VERIFY_HOURS: Int('how long an address verification link works, in hours', 48, 1, 24 * 30),
  EMAIL_DIGEST_MINUTES: Int(
    'the period of the digest mail (`email: "digest"`), in minutes',
    60,
    1,
    7 * 24 * 60,
  ),
  RATE_FORGOT_IP: Int('password reset requests per hour per client address', 10, 1),
  INTEGRATIONS_ALLOW_PRIVATE: Type.Boolean({
    default: false,
    description:
      'let integrations deliver to loopback, link-local, private, CGNAT and unique-local addresses (a receiver on your own network)',
  }),
  INTEGRATIONS_MAX: Int('outgoing integrations at most (creating one more is 409)', 20, 0, 1000),
  INTEGRATIONS_LEASE_SECONDS: Int(
    'how long the instance delivering an integration holds it without renewing; another instance takes over once it runs out',
    10,
    1,
    300,
  ),
  INTEGRATIONS_TIMEOUT_SECONDS: Int(
    'how long a delivery waits for an answer before it counts as failed',
    10,
    1,
    60,
  ),
  INTEGRATIONS_RETRY_MIN_MS: Int(
    'the wait after the first failed delivery, in milliseconds; doubled after each failure (with jitter)',
    1000,
    10,
    60_000,
  ),
  INTEGRATIONS_RETRY_MAX_SECONDS: Int('the longest wait between two attempts of one delivery', 300, 1, 3600),
  INTEGRATIONS_RETRY_HOURS: Int(
    'how long one event is tried before it is given up on (skipped, with lastError saying so)',
    24,
    1,
    24 * 7,
  ),
  INTEGRATIONS_GATHER_MS: Int(
    'how long the first event of a room after a quiet spell may wait, in milliseconds, so that the deliveries of many rooms start together (fewer wake-ups; 0: at once)',
    50,
    0,
    1000,
  ),
  WEB_APP: Type.Boolean({
    default: true,
    description: 'serve the web app at `/`; `false` for an API-only deployment (then `/` is a JSON 404)',
  }),
  WEB_DIR: Type.String({
    default: './web/dist',
    minLength: 1,
    description: 'where the built web app is (`npm install` and `npm start` build it when missing or stale)',
  }),
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
  if (Boolean(raw.VAPID_PUBLIC_KEY) !== Boolean(raw.VAPID_PRIVATE_KEY)) {
    throw new ConfigError(
      'Invalid environment variable VAPID_PRIVATE_KEY: VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY go together',
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
