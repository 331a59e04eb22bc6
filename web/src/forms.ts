// The account rules people meet in forms, shown before they type (the server's own: src/schemas/
// users.ts), checked before sending, and the server's answer turned into words next to the
// field it is about, from its machine `code` (never the validator's text).
import { ApiError } from '@roomchat/client'
import { describe } from './session.ts'

export const USERNAME_RULE = '3 to 32 characters: letters, digits, and _ . -'
export const PASSWORD_RULE = 'At least 8 characters.'
export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{3,32}$/
export const PASSWORD_MIN = 8
export const PASSWORD_MAX = 256

export type FieldErrors = Partial<Record<string, string>>

/** Which field a code is about, and what to say there. */
const FIELD_OF: Partial<Record<string, [field: string, words: string]>> = {
  BAD_CREDENTIALS: ['password', 'Wrong username or password.'],
  USERNAME_TAKEN: ['username', 'This username is taken: pick another one.'],
  NAME_TAKEN: ['displayName', 'This display name is the username of someone else: pick another one.'],
  INVALID_CODE: ['inviteCode', 'This invite code is unknown, used up, expired or revoked.'],
  TOTP_REQUIRED: ['totp', 'Enter the 6-digit code from your authenticator app.'],
  BAD_TOTP: ['totp', 'That code is wrong or was used already: wait for the next one.'],
}

/** The server's refusal as field errors (`form` when it is about no one field). */
export function fieldErrors(err: unknown, fields: string[]): FieldErrors {
  if (err instanceof ApiError) {
    const known = FIELD_OF[err.code]
    if (known && fields.includes(known[0])) return { [known[0]]: known[1] }
    // A validation refusal names the field in its path (`body/username …`): say the rule there.
    const path = err.code === 'VALIDATION' ? /body\/(\w+)/.exec(err.message)?.[1] : undefined
    if (path && fields.includes(path)) return { [path]: RULE_WORDS[path] ?? 'This is not accepted.' }
  }
  return { form: describe(err) }
}
const RULE_WORDS: Partial<Record<string, string>> = {
  username: `A username has ${USERNAME_RULE.toLowerCase()}`,
  password: `A password needs at least ${PASSWORD_MIN} characters.`,
  newPassword: `A password needs at least ${PASSWORD_MIN} characters.`,
  displayName: 'A display name has 1 to 64 characters.',
}

export function checkUsername(v: string): string | undefined {
  if (!v) return 'Enter a username.'
  if (!USERNAME_PATTERN.test(v)) return `A username has ${USERNAME_RULE.toLowerCase()}`
}
export function checkNewPassword(v: string): string | undefined {
  if ([...v].length < PASSWORD_MIN) return `A password needs at least ${PASSWORD_MIN} characters.`
  if (v.length > PASSWORD_MAX) return `A password has at most ${PASSWORD_MAX} characters.`
}
