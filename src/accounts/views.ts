// Records to wire views. The only place that decides what of a user leaves the server.

import type { AdminUserView, Author, OwnUser, PublicUser, UserRef } from '../schemas/users.ts'
import type { UserRecord, UserSnapshot } from '../store/records.ts'

/** Versioned by the file id: a new picture is a new URL, so an answer can be cached for good. */
export const avatarUrl = (userId: string, avatar: string | null | undefined): string | null =>
  avatar ? `/api/users/${userId}/avatar?v=${avatar}` : null

/** `bot: true` on bots' views; nothing on people's (the field is absent rather than false). */
export const botFlag = (bot: boolean): { bot?: true } => (bot ? { bot: true } : {})

export const vipActive = (u: Pick<UserRecord, 'vipExpiresAt'>, now = new Date()) =>
  u.vipExpiresAt !== null && u.vipExpiresAt > now

export const toOwnUser = (u: UserRecord, rooms: string[], blocked: string[], now = new Date()): OwnUser => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  bio: u.bio,
  role: u.role,
  theme: u.theme,
  vip: { active: vipActive(u, now), expiresAt: u.vipExpiresAt?.toISOString() ?? null },
  totpEnabled: u.totpSecret !== null,
  banned: u.banned,
  rooms,
  blocked,
  createdAt: u.createdAt.toISOString(),
  email: u.email ?? null,
  emailVerified: u.emailVerified ?? false,
  avatarUrl: avatarUrl(u.id, u.avatar),
  ...botFlag(u.kind === 'bot'),
})

export const toPublicUser = (u: UserRecord, now = new Date()): PublicUser => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  bio: u.bio,
  role: u.role,
  vip: { active: vipActive(u, now) },
  createdAt: u.createdAt.toISOString(),
  avatarUrl: avatarUrl(u.id, u.avatar),
  ...botFlag(u.kind === 'bot'),
  ...(u.deleted ? { deleted: true } : {}),
})

/** `inviters`: the users who invited, by id (those not in it show as null). */
export const toAdminUserView = (
  u: UserRecord,
  now = new Date(),
  inviters: ReadonlyMap<string, Pick<UserRecord, 'id' | 'username'>> = new Map(),
): AdminUserView => {
  const inviter = u.invitedBy ? inviters.get(u.invitedBy) : undefined
  const muted = u.mutedUntil && u.mutedUntil > now ? u.mutedUntil : null
  return {
    ...toPublicUser(u, now),
    banned: u.banned,
    mutedUntil: muted?.toISOString() ?? null,
    invitedBy: inviter ? { id: inviter.id, username: inviter.username } : null,
  }
}

/** The inviters of these users, in one read. */
export async function invitersOf(
  store: { users: { getMany(ids: string[]): Promise<UserRecord[]> } },
  users: UserRecord[],
): Promise<Map<string, UserRecord>> {
  const ids = [...new Set(users.flatMap((u) => (u.invitedBy ? [u.invitedBy] : [])))]
  return new Map((await store.users.getMany(ids)).map((u) => [u.id, u]))
}

export const toUserRef = (u: Pick<UserRecord, 'id' | 'username' | 'displayName'>): UserRef => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
})

export const toAuthor = (u: UserSnapshot): Author => ({
  ...toUserRef(u),
  avatarUrl: avatarUrl(u.id, u.avatar),
  ...botFlag(u.bot === true),
  ...(u.deleted ? { deleted: true } : {}),
})
