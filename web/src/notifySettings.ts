// The user's notification settings (GET/PATCH /api/me/notifications), read once per sign-in and
// shared by the personal centre and each room's bell: a change in one shows in the other.
import type { NotifySettings, NotifySettingsPatch } from '@roomchat/client'
import { ref, watch } from 'vue'
import { http, state } from './session.ts'

export type RoomLevel = NotifySettings['rooms'][string]

export const settings = ref<NotifySettings | null>(null)
let loading: Promise<NotifySettings> | null = null

export function loadSettings(): Promise<NotifySettings> {
  loading ??= http.notificationSettings().then(
    (s) => (settings.value = s),
    (err) => {
      loading = null
      throw err
    },
  )
  return loading
}

export async function saveSettings(patch: NotifySettingsPatch): Promise<void> {
  settings.value = await http.updateNotificationSettings(patch)
}

/** A room's level: absent from `rooms` means the default, mentions. */
export const levelOf = (room: string): RoomLevel => settings.value?.rooms[room] ?? 'mentions'

// Another sign-in is another user's settings.
watch(
  () => state.user?.id,
  () => {
    settings.value = null
    loading = null
  },
)
