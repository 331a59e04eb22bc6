// Secrets kept at rest (TOTP secrets): AES-256-GCM under a key derived by HKDF-SHA256 from a
// configured secret. A sealed value reads `v1:` + base64url(iv | tag | ciphertext); a value
// without that prefix is a secret stored in plain text before encryption existed, and is read
// as it is (callers re-seal it on their next write).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

const PREFIX = 'v1:'
const IV_BYTES = 12
const TAG_BYTES = 16

export interface SecretBox {
  seal(plain: string): string
  open(stored: string): string
  isSealed(stored: string): boolean
}

export function secretBox(secret: string, purpose: string): SecretBox {
  const key = Buffer.from(hkdfSync('sha256', secret, 'roomchat', `secret-box:${purpose}`, 32))
  return {
    seal(plain) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')
    },
    open(stored) {
      if (!stored.startsWith(PREFIX)) return stored
      const raw = Buffer.from(stored.slice(PREFIX.length), 'base64url')
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES))
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
        'utf8',
      )
    },
    isSealed: (stored) => stored.startsWith(PREFIX),
  }
}
