// What the room's creator or an admin does to members: the member list (which also names who is
// online), kicking (kept out for a while), banning from the room, and muting for a while or lifting it.
import type { Member } from '@roomchat/client'
import { computed, type Ref, ref } from 'vue'
import { describe, http, state } from '../session.ts'
import type { Room } from '../types.ts'

/** The mutes offered, in minutes (0 lifts one). */
export const DURATIONS: [number, string][] = [
  [10, '10 minutes'],
  [60, '1 hour'],
  [1440, '1 day'],
  [10080, '1 week'],
  [0, 'no longer (lift)'],
]
const durationName = (minutes: number) => DURATIONS.find(([m]) => m === minutes)?.[1] ?? `${minutes} minutes`

/** How long a kick keeps the member out, in minutes (0 only removes); the server's default first. */
export const KEEP_OUT: [number, string][] = [
  [10, '10 minutes'],
  [60, '1 hour'],
  [1440, '1 day'],
  [10080, '1 week'],
  [0, 'not at all (only remove)'],
]

interface ModerationDeps {
  room: Ref<Room | null>
  me: Ref<string | undefined>
  error: Ref<string>
  /** The presence's: the member list names everyone and says who is online. */
  names: Map<string, string>
  online: Ref<string[]>
}

export function useModeration(props: { id: string }, { room, me, error, names, online }: ModerationDeps) {
  const members = ref<Member[]>([])
  const modNotice = ref('')
  const canModerate = computed(
    () => room.value?.kind === 'room' && (room.value.creator.id === me.value || state.user?.role === 'admin'),
  )
  const moderatable = (m: Member) => m.user.id !== me.value && m.user.id !== room.value?.creator.id

  async function loadMembers() {
    const page = await http.members(props.id, { limit: 100 })
    members.value = page.items
    for (const m of page.items) names.set(m.user.id, m.user.displayName)
    // Fresh when the socket follows the room already (its `joined` came earlier); a join's
    // `joined` and the presence frames keep it from there.
    online.value = page.items.filter((m) => m.online).map((m) => m.user.id)
  }
  /** Removes a member, kept out for `keepOut` minutes, or until lifted with `'ban'`. */
  async function kick(member: Member, keepOut: number | 'ban' = KEEP_OUT[0]![0]) {
    modNotice.value = ''
    const who = member.user.displayName
    try {
      if (keepOut === 'ban') await http.banFromRoom(props.id, member.user.id)
      else await http.kick(props.id, member.user.id, { minutes: keepOut })
      modNotice.value =
        keepOut === 'ban'
          ? `${who} is banned from the room.`
          : keepOut === 0
            ? `${who} was removed from the room.`
            : `${who} was removed from the room and may not come back for ${KEEP_OUT.find(([m]) => m === keepOut)?.[1] ?? `${keepOut} minutes`}.`
      await loadMembers()
    } catch (err) {
      error.value = describe(err)
    }
  }
  async function mute(member: Member, minutes: number) {
    modNotice.value = ''
    try {
      await http.mute(props.id, member.user.id, minutes)
      modNotice.value =
        minutes === 0
          ? `${member.user.displayName} may write again.`
          : `${member.user.displayName} is muted for ${durationName(minutes)}.`
    } catch (err) {
      error.value = describe(err)
    }
  }

  return { members, modNotice, canModerate, moderatable, loadMembers, kick, mute }
}
