// The wire schemas of push subscriptions, notification settings, mail addresses and password
// resets (the contract's "Reaching people who are away").
import { type Static, Type } from 'typebox'
import { Id, Time } from './common.ts'
import { Password } from './users.ts'

const Base64Url = (max: number, description: string) =>
  Type.String({ minLength: 1, maxLength: max, pattern: '^[A-Za-z0-9_-]+=*$', description })

export const PushKey = Type.Object(
  { publicKey: Type.String({ description: 'the VAPID public key, base64url (applicationServerKey)' }) },
  { title: 'PushKey' },
)

export const PushSubscriptionBody = Type.Object(
  {
    endpoint: Type.String({
      minLength: 9,
      maxLength: 2048,
      description: "the push service's URL for this browser; `https:` only (unless PUSH_ALLOW_HTTP)",
    }),
    expirationTime: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
    keys: Type.Object({
      p256dh: Base64Url(200, "the browser's P-256 public key"),
      auth: Base64Url(100, 'the auth secret'),
    }),
  },
  { title: 'PushSubscription', description: "a browser's `PushSubscription.toJSON()`" },
)
export type PushSubscriptionBody = Static<typeof PushSubscriptionBody>

export const EmailMode = Type.Union([Type.Literal('off'), Type.Literal('mentions'), Type.Literal('digest')], {
  description:
    '`mentions`: a mail per notification; `digest`: one mail per EMAIL_DIGEST_MINUTES listing them',
})
export const RoomLevel = Type.Union([Type.Literal('all'), Type.Literal('mentions'), Type.Literal('none')], {
  description: '`mentions` (the default): mentions, replies, direct messages; `all`: every message; `none`',
})

export const NotifySettings = Type.Object(
  {
    push: Type.Boolean(),
    email: EmailMode,
    rooms: Type.Record(Id, RoomLevel, { description: 'the rooms not at the default `mentions`' }),
  },
  { title: 'NotificationSettings' },
)
export type NotifySettings = Static<typeof NotifySettings>

export const NotifySettingsPatch = Type.Object(
  {
    push: Type.Optional(Type.Boolean()),
    email: Type.Optional(EmailMode),
    rooms: Type.Optional(
      // A Record's patternProperties let any other key through (OpenAPI 3.0 has no
      // propertyNames): the service refuses keys that are not ids.
      Type.Record(Id, RoomLevel, { maxProperties: 200, description: 'merged in; `mentions` resets a room' }),
    ),
  },
  { additionalProperties: false },
)
export type NotifySettingsPatch = Static<typeof NotifySettingsPatch>

export const Email = Type.String({
  minLength: 3,
  maxLength: 254,
  // One @, no spaces or angle brackets: what a mail server takes as a plain address.
  pattern: '^[^\\s@<>(),;:"\\[\\]]+@[^\\s@<>(),;:"\\[\\]]+\\.[^\\s@<>(),;:"\\[\\]]+$',
  description: 'a mail address',
})
export const EmailBody = Type.Object({ email: Email })

const TokenString = Type.String({ minLength: 10, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' })
export const TokenBody = Type.Object({ token: TokenString })
export const ForgotBody = Type.Union([
  Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }) }),
  Type.Object({ email: Email }),
])
export type ForgotBody = Static<typeof ForgotBody>
export const ResetBody = Type.Object({ token: TokenString, password: Password })
export const ResetLink = Type.Object(
  {
    url: Type.String({ description: 'the reset page with the token, to hand to the user' }),
    expiresAt: Time,
  },
  { title: 'ResetLink' },
)
export type ResetLink = Static<typeof ResetLink>

export const SubscriptionId = Type.Object({ id: Id })
