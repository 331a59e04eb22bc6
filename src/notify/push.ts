// The Push port: sends one encrypted message to one browser's push service (RFC 8030), signed
// with the deployment's VAPID key (RFC 8292), the payload encrypted for the subscription
// (RFC 8291, aes128gcm). push-webpush.ts implements it with the `web-push` library.
//
// Guarantees: `send` never throws for an answer of the push service; it reports the status (and
// `Retry-After` in seconds, when given) so that the caller decides: 2xx sent, 404/410 gone, 429
// and 5xx retried. A network failure or a time-out is reported as status 0 (retried).

export interface PushTarget {
  endpoint: string
  p256dh: string
  auth: string
}

export interface PushOptions {
  /** Seconds the push service may keep the message for an offline browser (RFC 8030 `TTL`). */
  ttl: number
  /** Replaces an undelivered message of the same topic at the push service (at most 32 base64url). */
  topic?: string
  urgency?: 'very-low' | 'low' | 'normal' | 'high'
}

export interface PushResult {
  /** The push service's HTTP status, 0 for no answer (network failure, time-out). */
  status: number
  retryAfter?: number
}

export interface Push {
  /** The VAPID public key (base64url) browsers subscribe with. */
  readonly publicKey: string
  send(target: PushTarget, payload: string, options: PushOptions): Promise<PushResult>
}

/** `Retry-After` as seconds: a number of seconds or an HTTP date; undefined when neither. */
export function retryAfterSeconds(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim())
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000))
}
