// What the Store keeps. Plain data with string ids and Date times; each adapter converts at
// its own edge (ObjectId on MongoDB, integers and text on SQLite).

export type Role = 'user' | 'admin'
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
}

export type UserPatch = Partial<
  Pick<
    UserRecord,
    'displayName' | 'bio' | 'theme' | 'role' | 'banned' | 'passwordHash' | 'totpSecret' | 'totpPending'
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
}

export function codeStatus(c: CodeRecord, now: Date): CodeStatus {
  if (c.revokedAt) return 'revoked'
  if (c.uses >= c.maxUses) return 'used'
  if (c.expiresAt && c.expiresAt <= now) return 'expired'
  return 'unused'
}

/** Who did something, as it was shown when it was stored (a snapshot: names may change later). */
export interface UserSnapshot {
  id: string
  username: string
  displayName: string
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
}

export interface MemberRecord {
  roomId: string
  userId: string
  /** Position in the room's join order; a later join always has a higher one. */
  ticket: number
  joinedAt: Date
}

export type MessageKind = 'text' | 'file' | 'system'

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
  kind: MessageKind
  from: UserSnapshot | null
  text: string
  file: FileRef | null
  clientMsgId: string | null
  createdAt: Date
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
