// The Push port over the `web-push` library: it signs the VAPID JWT and encrypts the payload
// (aes128gcm); the request itself is sent here with fetch, so that it has a time-out, never
// follows a redirect, reads `Retry-After`, and can reach an `http:` endpoint when the
// configuration allows one (tests with a push service on loopback: web-push's own sender
// speaks https only).
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import webpush from 'web-push'
import type { Push, PushOptions, PushResult, PushTarget } from './push.ts'
import { retryAfterSeconds } from './push.ts'

export interface VapidKeys {
  publicKey: string
  privateKey: string
}

const TIMEOUT_MS = 10_000

/**
 * The embedded mode's VAPID pair: generated once and kept in `DATA_DIR/vapid.json` (mode 600),
 * like the JWT secret, so that subscriptions made before a restart keep working.
 */
export function loadOrCreateVapid(dataDir: string): VapidKeys {
  const file = join(dataDir, 'vapid.json')
  try {
    const kept = JSON.parse(readFileSync(file, 'utf8')) as Partial<VapidKeys>
    if (typeof kept.publicKey === 'string' && typeof kept.privateKey === 'string')
      return { publicKey: kept.publicKey, privateKey: kept.privateKey }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const keys = webpush.generateVAPIDKeys()
  writeFileSync(file, `${JSON.stringify(keys)}\n`, { mode: 0o600 })
  return keys
}

export function webPush(keys: VapidKeys, subject: string, timeoutMs = TIMEOUT_MS): Push {
  return {
    publicKey: keys.publicKey,
    async send(target: PushTarget, payload: string, options: PushOptions): Promise<PushResult> {
      const details = webpush.generateRequestDetails(
        { endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } },
        payload,
        {
          vapidDetails: { subject, publicKey: keys.publicKey, privateKey: keys.privateKey },
          TTL: options.ttl,
          contentEncoding: 'aes128gcm',
          ...(options.topic ? { topic: options.topic } : {}),
          ...(options.urgency ? { urgency: options.urgency } : {}),
        },
      )
      try {
        const res = await fetch(details.endpoint, {
          method: details.method,
          headers: details.headers as Record<string, string>,
          body: details.body ?? undefined,
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        })
        await res.arrayBuffer().catch(() => {})
        return { status: res.status, retryAfter: retryAfterSeconds(res.headers.get('retry-after')) }
      } catch {
        return { status: 0 }
      }
    },
  }
}
