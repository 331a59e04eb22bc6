// An account its owner deleted stays as a tombstone: its public view and its messages' author
// say `deleted: true` (the name "deleted user" is refused to the living, but the flag is what
// counts). The app shows a neutral figure and no way to the profile.

interface Shown {
  displayName: string
  avatarUrl: string | null
  deleted?: boolean | undefined
}

export function isDeletedUser(who: Shown | null | undefined): boolean {
  if (!who) return false
  return who.deleted === true
}
