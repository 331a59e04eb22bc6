// TOTP two-factor login (RFC 6238) with otplib. A code is accepted once: a replayed code within
// its window is refused, on every instance (the Ephemeral port remembers it).
import { generate, generateSecret, generateURI, verify } from 'otplib'
import type { Ephemeral } from '../ephemeral/ephemeral.ts'

export const newTotpSecret = () => generateSecret()
export const totpUri = (username: string, secret: string) =>
  generateURI({ issuer: 'Roomchat', label: username, secret })
export const totpNow = (secret: string) => generate({ secret })

export async function checkTotp(
  ephemeral: Ephemeral,
  userId: string,
  secret: string,
  code: string,
): Promise<boolean> {
  const { valid } = await verify({ secret, token: code, epochTolerance: 30 })
  if (!valid) return false
  return ephemeral.claim(`totp:${userId}:${code}`, 120)
}
