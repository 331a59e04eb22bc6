// Secrets of bots and webhooks: 256 random bits, shown once, kept as SHA-256 (not a password:
// nothing to slow down for a guess at 2^256), compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** Recognisable in logs and by secret scanners: a bot token starts with this. */
export const BOT_TOKEN_PREFIX = 'rcb_'

const SECRET = /^[A-Za-z0-9_-]{43}$/
const BOT_TOKEN = /^rcb_([0-9a-f]{24})_([A-Za-z0-9_-]{43})$/

/** 32 random bytes, base64url (43 characters). */
export const newSecret = (): string => randomBytes(32).toString('base64url')

export const isSecret = (s: string): boolean => SECRET.test(s)

export const hashSecret = (s: string): string => createHash('sha256').update(s).digest('hex')

/** Whether `plain` hashes to `hash` (hex), in time independent of where they differ. */
export function matches(plain: string, hash: string): boolean {
  const a = createHash('sha256').update(plain).digest()
  const b = Buffer.from(hash, 'hex')
  return b.length === a.length && timingSafeEqual(a, b)
}

/** A bot token names its session: `rcb_<sessionId>_<secret>`. */
export const botToken = (sessionId: string): string => `${BOT_TOKEN_PREFIX}${sessionId}_${newSecret()}`

/** The session a well-formed bot token names, or null. */
export function botSessionOf(token: string): string | null {
  const m = BOT_TOKEN.exec(token)
  return m ? m[1]! : null
}
