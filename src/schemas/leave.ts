// Leaving with one's data: deleting the account, and the export of what it holds.
import { type Static, Type } from 'typebox'

export const DeleteAccountBody = Type.Object({
  password: Type.String({
    minLength: 1,
    maxLength: 256,
    description: 'the current password (400 BAD_CREDENTIALS when wrong; failures throttled as logins)',
  }),
  totp: Type.Optional(
    Type.String({ pattern: '^[0-9]{6}$', description: 'a current code, when two-factor is on' }),
  ),
  eraseMessages: Type.Optional(
    Type.Boolean({
      description:
        "also delete every message I sent, direct conversations included: each becomes a deletion event in its room's stream",
    }),
  ),
})
export type DeleteAccountBody = Static<typeof DeleteAccountBody>

/** The export's bytes: OpenAPI 3.0 describes a binary answer as a string of format binary. */
export const ExportZip = Type.Unsafe<Buffer>({
  type: 'string',
  format: 'binary',
  description:
    'a zip: profile.json, sessions.json, rooms.json, messages.jsonl, dms.jsonl, posts.json and files/',
})
