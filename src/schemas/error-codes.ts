// Every machine `code` the server answers with: its HTTP status (or `ws` for codes only sent in
// socket `error` frames) and what it means. The one list behind the AppError type, the error
// handler, the OpenAPI and AsyncAPI documents, the client package and docs/errors.md.
// Plain data: no TypeBox, no Node, so any side may import it.

export interface ErrorCodeInfo {
  /** The HTTP status it comes with; `ws` when only an `error` frame carries it. */
  status: number | 'ws'
  /** Other statuses a few routes answer it with. */
  also?: readonly number[]
  meaning: string
}

export const ERROR_CODES = {
  VALIDATION: {
    status: 400,
    meaning: 'The request (body, query, path, headers) breaks the schema or a rule, or its JSON is malformed',
  },
  BAD_REQUEST: {
    status: 400,
    also: [431],
    meaning:
      'Another client error at the HTTP level, without a code of its own (431: the request headers are too large)',
  },
  INVALID_CODE: {
    status: 400,
    meaning: 'The invite or activation code is unknown, used up, expired or revoked',
  },
  INVALID_IMAGE: {
    status: 400,
    meaning: 'The upload is not a PNG, JPEG, WebP or GIF picture that can be decoded',
  },
  BAD_TOTP: {
    status: 401,
    also: [400],
    meaning:
      'The one-time password is wrong or already used (400 when enabling or disabling TOTP, or deleting the account)',
  },
  UNAUTHENTICATED: { status: 401, meaning: 'No valid session: sign in (again)' },
  BAD_CREDENTIALS: {
    status: 401,
    also: [400],
    meaning: 'Unknown user or wrong password (the same answer for both); 400 for a wrong current password',
  },
  TOTP_REQUIRED: {
    status: 401,
    also: [400],
    meaning:
      'The account has TOTP on: send `totp` with the login (400 when replacing TOTP without a current `code`, or deleting the account without `totp`)',
  },
  FORBIDDEN: { status: 403, meaning: 'Signed in, but this is not yours to do' },
  BAD_ORIGIN: {
    status: 403,
    meaning: 'A cookie-authenticated unsafe request (or a socket) from an Origin not in PUBLIC_ORIGINS',
  },
  BANNED: { status: 403, meaning: 'The account is banned' },
  VIP_REQUIRED: { status: 403, meaning: 'Needs an active VIP membership (or the admin role)' },
  NOT_MEMBER: { status: 403, meaning: 'Only members of the room may do this: join it first' },
  NOT_FOUND: { status: 404, meaning: 'No such route or resource (or not visible to you)' },
  USERNAME_TAKEN: {
    status: 409,
    meaning: 'Another account has this username, or a name it is confusable with (Unicode TR39)',
  },
  NAME_TAKEN: {
    status: 409,
    meaning:
      "The display name is another user's username or display name, or confusable with one (Unicode TR39)",
  },
  EMAIL_TAKEN: { status: 409, meaning: 'Another account has this mail address' },
  INVALID_TOKEN: {
    status: 400,
    meaning: 'The verification or reset link is unknown, used or expired',
  },
  LAST_ADMIN: { status: 409, meaning: 'The change would leave no admin who is not banned' },
  SELF_CHANGE: { status: 409, meaning: 'Admins cannot ban or demote themselves' },
  ROOM_FULL: { status: 409, meaning: 'The room has maxMembers members already' },
  CONFLICT: { status: 409, meaning: 'The resource changed or exists already' },
  DELETED: { status: 409, meaning: 'The message was deleted: it cannot be edited, reacted to or replied to' },
  TOO_MANY_REACTIONS: { status: 409, meaning: 'The message has 20 different emojis already' },
  TOO_MANY_INTEGRATIONS: {
    status: 409,
    meaning: 'There are INTEGRATIONS_MAX integrations already: delete one first',
  },
  TOO_MANY_PINS: { status: 409, meaning: 'The room has 50 pinned messages already: unpin one first' },
  BANNED_FROM_ROOM: {
    status: 403,
    meaning:
      "A moderator removed you from the room: you may not join it again until the kick's time runs out or the ban is lifted",
  },
  MUTED: {
    status: 403,
    meaning:
      'A moderator muted you in this room, or an admin froze your account for a while (muted in every room): sends are refused until the mute ends',
  },
  INVITES_DISABLED: {
    status: 403,
    meaning: 'Members may not mint invite codes here (`MEMBER_INVITES_PER_DAY` is 0): ask an admin',
  },
  BLOCKED: {
    status: 403,
    meaning:
      'One of the two users of this direct room blocked the other: it cannot be opened or written to by either',
  },
  ALREADY_REPORTED: { status: 409, meaning: 'You have an open report of this message already' },
  ALREADY_DECIDED: {
    status: 409,
    meaning: 'The report was decided already (by someone else, maybe just now)',
  },
  TOO_MANY_WEBHOOKS: {
    status: 409,
    meaning: 'The room has as many incoming webhooks as one may (10): delete one first',
  },
  TOO_MANY_BLOCKS: {
    status: 409,
    meaning: 'You block as many users as one may (1,000): unblock someone first',
  },
  BOT_ACCOUNT: {
    status: 403,
    meaning:
      'Not for a bot account: a bot cannot be made an admin, be given a mail address or a reset link (it signs in with its token only)',
  },
  TIMEOUT: { status: 408, meaning: 'The request (headers or body) took longer than the server waits' },
  TOO_LARGE: { status: 413, meaning: 'The body or file is larger than the server accepts' },
  URI_TOO_LONG: { status: 414, meaning: 'A path parameter is longer than the server reads' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'The body has a content type this route does not read' },
  RANGE_NOT_SATISFIABLE: { status: 416, meaning: 'The Range asks for bytes past the end of the file' },
  RATE_LIMITED: { status: 429, meaning: 'Too many requests: wait Retry-After seconds' },
  INTERNAL: { status: 500, meaning: 'The server failed; nothing about it is shown' },
  UNAVAILABLE: { status: 503, meaning: 'The instance is draining or its store or bus is unreachable: retry' },
  JOIN_IN_PROGRESS: {
    status: 'ws',
    meaning: 'A join of this room is still under way on this socket (its replay runs): wait for its `joined`',
  },
  BAD_FRAME: {
    status: 'ws',
    meaning: 'A socket frame that is not JSON, or not a known frame of valid shape',
  },
} as const satisfies Record<string, ErrorCodeInfo>

export type ErrorCode = keyof typeof ERROR_CODES

/** The HTTP statuses a code may come with. */
export function statusesOf(code: ErrorCode): number[] {
  const info: ErrorCodeInfo = ERROR_CODES[code]
  return info.status === 'ws' ? [] : [info.status, ...(info.also ?? [])]
}
