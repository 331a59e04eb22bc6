// What the Store keeps. Plain data with string ids and Date times; each adapter converts at
// its own edge (ObjectId on MongoDB, integers and text on SQLite).
import type { AuditAction } from '../schemas/audit.ts'

export type { AuditAction }

export type Role = 'user' | 'admin'
/** `bot`: an account driven by a program through its token (src/bots/bots.ts), never a password. */
export type UserKind = 'user' | 'bot'
export type ThemeMode = 'light' | 'dark' | 'system'

export interface Theme {
  mode: ThemeMode
  accent?: string
}

export interface UserRecord {
  id: string
  username: string
  displayName: string
  bio: string
  role: Role
  passwordHash: string
  theme: Theme
  vipExpiresAt: Date | null
  /** The TOTP secret once enabled; `totpPending` holds one set up but not yet confirmed. */
  totpSecret: string | null
  totpPending: string | null
  banned: boolean
  createdAt: Date
  /** The mail address given (`PUT /api/me/email`) and whether its link was followed; absent: none. */
  email?: string | null
  emailVerified?: boolean
  /** The file id of the uploaded avatar (in the Files port, grouped under the user's id); absent or null: initials. */
  avatar?: string | null
  /** Read as 'user' from both stores when absent (users stored before bots existed). */
  kind?: UserKind
  /** The account was deleted by its owner: it shows as "deleted user" and never signs in again. */
  deleted?: boolean
  /**
   * Who invited the user: the holder of the code they registered with (`heldBy`, else its
   * minter), and that code's id. Null for users who registered before it was recorded, and for
   * codes the server minted itself (the bootstrap code).
   */
  invitedBy?: string | null
  inviteCode?: string | null
  /** Muted in every room until then (a freeze with minutes); absent or null: not. */
  mutedUntil?: Date | null
}

/** What a freeze writes on every user it covers, in one write. */
export type FreezeChange = { banned: true } | { mutedUntil: Date }

export type UserPatch = Partial<
  Pick<
    UserRecord,
    | 'displayName'
    | 'bio'
    | 'theme'
    | 'role'
    | 'banned'
    | 'passwordHash'
    | 'totpSecret'
    | 'totpPending'
    | 'email'
    | 'emailVerified'
  >
>

export interface SessionRecord {
  id: string
  userId: string
  createdAt: Date
  expiresAt: Date
  revokedAt: Date | null
}

export type CodeType = 'invite' | 'activation'
export type CodeStatus = 'unused' | 'used' | 'expired' | 'revoked'

export interface CodeRecord {
  id: string
  type: CodeType
  /** SHA-256 of the plain code, hex: the plain code is never stored. */
  hash: string
  /** The first characters of the plain code, so an admin can tell codes apart. */
  hint: string
  maxUses: number
  uses: number
  vipDays: number | null
  /** An invite that registers an admin (the bootstrap code). */
  grantsAdmin: boolean
  expiresAt: Date | null
  revokedAt: Date | null
  createdBy: string | null
  createdAt: Date
  /**
   * The member the code is for, to hand out: their invitees count as invited by them. A member's
   * own codes are held by them too. Absent or null: the minter's.
   */
  heldBy?: string | null
}

export function codeStatus(c: CodeRecord, now: Date): CodeStatus {
  if (c.revokedAt) return 'revoked'
  if (c.uses >= c.maxUses) return 'used'
  if (c.expiresAt && c.expiresAt <= now) return 'expired'
  return 'unused'
}

/** A guestbook message on the home wall (`wall: 'home'`) or on a user's wall (`wall: userId`). */
export interface PostRecord {
  id: string
  wall: string
  authorId: string
  text: string
  createdAt: Date
}

/** Who did something, as it was shown when it was stored (a snapshot: names may change later). */
export interface UserSnapshot {
  id: string
  username: string
  displayName: string
  /** The avatar's file id when it was stored (messages); absent on older snapshots and rooms' creators. */
  avatar?: string | null
  /** The sender was a bot account or an incoming webhook (clients show a badge). */
  bot?: boolean
  /** The account was deleted by its owner since (the snapshot was renamed "deleted user"). */
  deleted?: boolean
  /**
   * An incoming webhook's message: the snapshot is not a user's, its `id` is the webhook's and
   * this is the webhook's name (its `displayName` may be the one the caller gave for the message).
   */
  hook?: string
}

export interface RoomRecord {
  id: string
  name: string
  description: string
  creator: UserSnapshot
  maxMembers: number
  /** Kept in step with the members by the store. */
  memberCount: number
  createdAt: Date
  /** `dm`: the one direct room of two users (absent on rooms stored before direct rooms: `room`). */
  kind?: RoomKind
  /** A direct room's two user ids, sorted: unique, so each pair has one. */
  dm?: [string, string] | null
}

export type RoomKind = 'room' | 'dm'

export interface MemberRecord {
  roomId: string
  userId: string
  /** Position in the room's join order; a later join always has a higher one. */
  ticket: number
  joinedAt: Date
}

export type MessageKind = 'text' | 'file' | 'system'
/**
 * `update`: not a message but a change to one (edit, deletion, reaction), kept in the room's
 * stream with a seq of its own so it is ordered, gap-filled and replayed like a message.
 */
export type StreamKind = MessageKind | 'update'

/** The message a reply answers, as it was when the reply was sent. */
export interface ReplyRef {
  seq: number
  from: UserSnapshot | null
  /** The first 200 code points of its text. */
  text: string
}

/** One emoji on a message: who put it there, first first. */
export interface ReactionRecord {
  emoji: string
  users: string[]
}

export interface FileRef {
  id: string
  name: string
  size: number
  contentType: string
}

export interface MessageRecord {
  id: string
  roomId: string
  /** Per room, from 1, without gaps: the order everyone sees. */
  seq: number
  kind: StreamKind
  /** For `message`s the author; for an `update`, who made the change. */
  from: UserSnapshot | null
  text: string
  file: FileRef | null
  clientMsgId: string | null
  createdAt: Date
  editedAt?: Date | null
  /** A deleted message keeps its seq and author; its text is '' and its file is gone. */
  deleted?: boolean
  replyTo?: ReplyRef | null
  /** Ids of the users `@username` in the text named. */
  mentions?: string[]
  /** An `update`: the seq of the message it changed. */
  target?: number | null
  /** Filled on reads, never stored with the message (reactions are records of their own). */
  reactions?: ReactionRecord[]
  /** Filled on stream reads of an `update`: the changed message in its current state. */
  current?: MessageRecord | null
}

/** A message before the store gives it its seq. */
export type NewMessage = Omit<MessageRecord, 'seq'>

/**
 * A file posted in a room: what the store knows of it. The bytes live in the Files port
 * (src/files/files.ts) under the same id; `name` is already sanitised and `contentType` is the
 * type the uploader declared (normalised), not what downloads are served as.
 */
export interface FileRecord extends FileRef {
  roomId: string
  uploaderId: string
  createdAt: Date
}

/** A pinned message of a room: who pinned it and when. */
export interface PinRecord {
  roomId: string
  seq: number
  pinnedBy: UserSnapshot | null
  pinnedAt: Date
}

/**
 * What keeps a user from joining a room: a kick's bar runs out at `until`; a ban (`until` null)
 * holds until a moderator lifts it.
 */
export interface RoomBar {
  kind: 'kick' | 'ban'
  until: Date | null
}

/** Who an audit entry names: a user by id and username, or a room by id and name (snapshots). */
export type AuditUserRef = { id: string; username: string }
export type AuditRoomRef = { id: string; name: string }

/**
 * One action of an admin or a room's creator on someone else, as it was when it was done.
 * Append-only: no port has a way to change or remove one.
 */
export interface AuditRecord {
  id: string
  at: Date
  actor: AuditUserRef
  action: AuditAction
  target: AuditUserRef | AuditRoomRef | null
  /** What else the action was about (the room of a kick, a mute's minutes): plain JSON, no nested arrays. */
  details: Record<string, unknown>
}

/** One report of a message: the message kept as it was when reported (the evidence). */
export interface ReportRecord {
  id: string
  status: 'open' | 'resolved' | 'dismissed'
  reason: 'spam' | 'abuse' | 'other'
  note: string
  reporter: AuditUserRef
  room: AuditRoomRef
  /** The room's creator when reported (who, beside admins, decides); null for a direct room. */
  roomCreatorId: string | null
  message: {
    seq: number
    kind: MessageKind
    from: UserSnapshot | null
    text: string
    file: FileRef | null
    createdAt: Date
    editedAt: Date | null
  }
  createdAt: Date
  decidedBy: AuditUserRef | null
  decision: ReportDecision | null
}

export interface ReportDecision {
  status: 'resolved' | 'dismissed'
  action: 'delete' | 'mute' | 'kick' | 'ban' | null
  at: Date
}

/**
 * The token of a bot's session: the bot authenticates with `rcb_<sessionId>_<secret>`, kept as
 * the SHA-256 of the whole token. The session record says whether it is live (a rotation
 * revokes it, announced to every instance as any session's revocation).
 */
export interface BotTokenRecord {
  sessionId: string
  userId: string
  /** SHA-256 of the plain token, hex: the token is shown once and never stored. */
  hash: string
  createdAt: Date
}

/** An incoming webhook of a room: whoever holds its URL posts messages in the room. */
export interface WebhookRecord {
  id: string
  roomId: string
  name: string
  /** SHA-256 of the secret in its URL, hex. */
  secretHash: string
  createdBy: AuditUserRef
  createdAt: Date
}
