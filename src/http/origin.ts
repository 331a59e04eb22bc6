// Which browser origins may act with a user's cookie (unsafe HTTP methods, WebSocket upgrades).
// Same-origin is always allowed; other origins only when configured.
import type { Config } from '../config.ts'

export function originChecker(config: Pick<Config, 'CORS_ORIGINS' | 'PUBLIC_ORIGINS'>) {
  const allowed = new Set([...config.CORS_ORIGINS, ...config.PUBLIC_ORIGINS])
  /** `origin` is the Origin header; `host` and `protocol` are the request's own. */
  return (origin: string, host: string | undefined, protocol: string): boolean =>
    allowed.has(origin) || (host !== undefined && origin === `${protocol}://${host}`)
}
