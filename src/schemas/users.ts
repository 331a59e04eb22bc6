import { type Static, Type } from 'typebox'
import { Id, Time } from './common.ts'

export const Username = Type.String({
  pattern: '^[A-Za-z0-9_.-]{3,32}$',
  description: '3..32 of A-Z a-z 0-9 _ . -',
})
export const Password = Type.String({ minLength: 8, maxLength: 256 })
export const DisplayName = Type.String({ minLength: 1, maxLength: 64 })
export const Bio = Type.String({ maxLength: 1000 })

export const Theme = Type.Object(
  {
    mode: Type.Union([Type.Literal('light'), Type.Literal('dark'), Type.Literal('system')]),
    accent: Type.Optional(Type.String({ pattern: '^#[0-9a-fA-F]{6}$' })),
  },
  { additionalProperties: false },
)

export const Role = Type.Union([Type.Literal('user'), Type.Literal('admin')])

/** Present (true) on bot accounts and webhooks only: clients show a badge. */
export const BotFlag = Type.Optional(
  Type.Boolean({
    description: 'true for a bot account or an incoming webhook (show a badge); absent for people',
  }),
)

/** Present (true) on the author of a message whose account its owner deleted. */
export const DeletedFlag = Type.Optional(
  Type.Boolean({ description: 'true when the account was deleted by its owner; absent otherwise' }),
)

/** Where the uploaded picture is; null: none, show initials. */
export const AvatarUrl = Type.Union([Type.String(), Type.Null()], {
  description:
    'the uploaded picture (`/api/users/:id/avatar?v=…`: a new URL for each new picture, cacheable for good), or null for initials',
})

/** What the index page and the personal centre show about the signed-in user. */
export const OwnUser = Type.Object(
  {
    id: Id,
    username: Type.String(),
    displayName: Type.String(),
    bio: Type.String(),
    role: Role,
    theme: Theme,
    vip: Type.Object({ active: Type.Boolean(), expiresAt: Type.Union([Time, Type.Null()]) }),
    totpEnabled: Type.Boolean(),
    banned: Type.Boolean(),
    rooms: Type.Array(Id),
    blocked: Type.Array(Id, { description: 'the users I block, newest first' }),
    createdAt: Time,
    email: Type.Union([Type.String(), Type.Null()], { description: 'the mail address given, or null' }),
    emailVerified: Type.Boolean({ description: "whether the address's verification link was followed" }),
    avatarUrl: AvatarUrl,
    bot: BotFlag,
  },
  { title: 'User' },
)
export type OwnUser = Static<typeof OwnUser>

/** What anyone signed in may see of another user: never a hash, secret or private field. */
export const PublicUser = Type.Object(
  {
    id: Id,
    username: Type.String(),
    displayName: Type.String(),
    bio: Type.String(),
    role: Role,
    vip: Type.Object({ active: Type.Boolean() }),
    createdAt: Time,
    avatarUrl: AvatarUrl,
    bot: BotFlag,
    deleted: Type.Optional(
      Type.Boolean({ description: 'true for an account its owner deleted (shown as "deleted user")' }),
    ),
  },
  { title: 'PublicUser' },
)
export type PublicUser = Static<typeof PublicUser>

/** Who an admin sees as having invited a user: null when unknown (registered before it was recorded). */
export const Inviter = Type.Union([Type.Object({ id: Id, username: Type.String() }), Type.Null()], {
  description:
    "the holder of the code the user registered with (else its minter); null for users who registered before invitations were recorded, and for the first admin's bootstrap code",
})
export type Inviter = Static<typeof Inviter>

/** A user in the admin's list: the public view, whether the account is banned or muted everywhere, and who invited them. */
export const AdminUserView = Type.Intersect(
  [
    PublicUser,
    Type.Object({
      banned: Type.Boolean(),
      mutedUntil: Type.Union([Time, Type.Null()], {
        description: 'muted in every room until then (a freeze with minutes); null: not',
      }),
      invitedBy: Inviter,
    }),
  ],
  { title: 'AdminUserView' },
)
export type AdminUserView = Static<typeof AdminUserView>

/** `GET /api/auth/session`: the signed-in user, or null for a visit without a live session. */
export const SessionAnswer = Type.Object({ user: Type.Union([OwnUser, Type.Null()]) })

export const UserRef = Type.Object(
  { id: Id, username: Type.String(), displayName: Type.String() },
  { title: 'UserRef' },
)
export type UserRef = Static<typeof UserRef>

/** A message's author as the message was sent: the reference and the avatar of that moment. */
export const Author = Type.Object(
  {
    id: Id,
    username: Type.String(),
    displayName: Type.String(),
    avatarUrl: AvatarUrl,
    bot: BotFlag,
    deleted: DeletedFlag,
  },
  { title: 'Author' },
)
export type Author = Static<typeof Author>

export const RegisterBody = Type.Object({
  username: Username,
  password: Password,
  inviteCode: Type.String({ minLength: 1, maxLength: 128 }),
  displayName: Type.Optional(DisplayName),
})
export type RegisterBody = Static<typeof RegisterBody>

export const LoginBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 256 }),
  totp: Type.Optional(Type.String({ pattern: '^[0-9]{6}$' })),
})
export type LoginBody = Static<typeof LoginBody>

export const AuthAnswer = Type.Object({ user: OwnUser, token: Type.String() })

export const ProfilePatch = Type.Object(
  { displayName: Type.Optional(DisplayName), bio: Type.Optional(Bio), theme: Type.Optional(Theme) },
  { additionalProperties: false },
)
export type ProfilePatch = Static<typeof ProfilePatch>

export const PasswordChange = Type.Object({
  currentPassword: Type.String({ maxLength: 256 }),
  newPassword: Password,
})
export const CodeBody = Type.Object({ code: Type.String({ minLength: 1, maxLength: 128 }) })
const SixDigits = Type.String({ pattern: '^[0-9]{6}$' })
/**
 * The current password, asked again before two-factor is set up, turned on or off: a stolen
 * token alone must not be able to change how the owner signs in. Checked (and throttled) as
 * `POST /api/me/password` checks `currentPassword`.
 */
const CurrentPassword = Type.String({
  minLength: 1,
  maxLength: 256,
  description: 'the current password (400 BAD_CREDENTIALS when wrong; failures throttled as logins)',
})
export const TotpSetupBody = Type.Object({
  password: CurrentPassword,
  code: Type.Optional(
    Type.String({ pattern: '^[0-9]{6}$', description: 'a current code, when two-factor is on' }),
  ),
})
export type TotpSetupBody = Static<typeof TotpSetupBody>
export const TotpConfirmBody = Type.Object({ code: SixDigits, password: CurrentPassword })
export type TotpConfirmBody = Static<typeof TotpConfirmBody>
export const TotpSetup = Type.Object({ secret: Type.String(), otpauthUrl: Type.String() })
export const WsTicket = Type.Object({ ticket: Type.String(), expiresAt: Time })

export const AdminUserPatch = Type.Object(
  { role: Type.Optional(Role), banned: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
)
export type AdminUserPatch = Static<typeof AdminUserPatch>
