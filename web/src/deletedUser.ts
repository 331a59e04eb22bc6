// An account its owner deleted stays as a tombstone: the public view says `deleted: true`; a
// message's sender is a snapshot that carries only the name the server gave it and no picture.
// Either way the app shows a neutral figure and no way to the profile.

/** The name the server gives every deleted account. */
export const DELETED_NAME = 'deleted user'

interface Shown {
  displayName: string
  avatarUrl: string | null
  deleted?: boolean | undefined
}

export function isDeletedUser(who: Shown | null | undefined): boolean {
  if (!who) return false
  if (who.deleted !== undefined) return who.deleted
  return who.displayName === DELETED_NAME && !who.avatarUrl
}
