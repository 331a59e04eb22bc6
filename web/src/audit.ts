// The audit log's words: each action's name for people, and an entry's details in one line
// (its room, minutes, role change, codes) instead of the JSON the server keeps.
import type { AuditEntry } from '@roomchat/client'

/** The actions the log records, in the contract's order, as the filter offers them. */
export const AUDIT_ACTIONS: { value: AuditEntry['action']; label: string }[] = [
  { value: 'code.mint', label: 'Codes minted' },
  { value: 'code.revoke', label: 'Code revoked' },
  { value: 'user.role', label: 'Role changed' },
  { value: 'user.ban', label: 'User banned' },
  { value: 'user.unban', label: 'User unbanned' },
  { value: 'user.freeze', label: 'Users frozen' },
  { value: 'user.reset-link', label: 'Reset link made' },
  { value: 'room.kick', label: 'Kicked from a room' },
  { value: 'room.mute', label: 'Muted in a room' },
  { value: 'room.ban', label: 'Banned from a room' },
  { value: 'room.unban', label: 'Room ban lifted' },
  { value: 'message.delete', label: 'Message deleted' },
  { value: 'message.pin', label: 'Message pinned' },
  { value: 'message.unpin', label: 'Message unpinned' },
  { value: 'report.decide', label: 'Report decided' },
  { value: 'bot.create', label: 'Bot created' },
  { value: 'bot.rotate', label: 'Bot token rotated' },
  { value: 'webhook.create', label: 'Webhook created' },
  { value: 'webhook.delete', label: 'Webhook deleted' },
  { value: 'integration.create', label: 'Integration created' },
  { value: 'integration.delete', label: 'Integration deleted' },
]

export const actionLabel = (action: string): string =>
  AUDIT_ACTIONS.find((a) => a.value === action)?.label ?? action

const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '')
const roomName = (v: unknown): string =>
  v && typeof v === 'object' && 'name' in v ? `#${str((v as { name: unknown }).name)}` : ''
const minutes = (v: unknown): string => {
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0) return ''
  if (n % 1440 === 0) return `${n / 1440} day${n === 1440 ? '' : 's'}`
  if (n % 60 === 0) return `${n / 60} hour${n === 60 ? '' : 's'}`
  return `${n} min`
}
const DECISION_ACTIONS: Record<string, string> = {
  delete: 'message deleted',
  mute: 'author muted',
  kick: 'author kicked',
  ban: 'author banned',
}

/** What else the entry says, in words; the keys it does not know are listed as they are. */
export function summarise(e: AuditEntry): string {
  const d = e.details
  const parts: string[] = []
  switch (e.action) {
    case 'code.mint':
      parts.push(`${str(d.count) || '?'} ${str(d.type)} code${d.count === 1 ? '' : 's'}`)
      if (Number(d.maxUses) > 1) parts.push(`${str(d.maxUses)} uses each`)
      if (d.vipDays) parts.push(`${str(d.vipDays)} VIP days`)
      if (d.expiresInDays) parts.push(`valid ${str(d.expiresInDays)} days`)
      break
    case 'code.revoke':
      parts.push(`${str(d.type)} code ${str(d.hint)}…`.trim())
      break
    case 'user.role':
      parts.push(`${str(d.from)} → ${str(d.to)}`)
      break
    case 'user.freeze':
      parts.push(
        `${str(d.count) || '?'} user${Number(d.count) === 1 ? '' : 's'}${d.subtree ? ' with their invitees' : ''}`,
      )
      parts.push(d.minutes ? `muted ${minutes(d.minutes)}` : 'banned')
      if (Number(d.codesRevoked) > 0)
        parts.push(`${str(d.codesRevoked)} code${d.codesRevoked === 1 ? '' : 's'} revoked`)
      if (Array.isArray(d.skipped) && d.skipped.length)
        parts.push(`${d.skipped.length} admin${d.skipped.length === 1 ? '' : 's'} left out`)
      if (d.truncated) parts.push('subtree cut short')
      break
    case 'user.reset-link':
      if (d.minutes) parts.push(`valid ${minutes(d.minutes)}`)
      break
    case 'room.kick':
    case 'room.mute':
      parts.push(roomName(d.room))
      if (d.minutes) parts.push(`for ${minutes(d.minutes)}`)
      break
    case 'room.ban':
    case 'room.unban':
      parts.push(roomName(d.room))
      break
    case 'message.delete':
    case 'message.pin':
    case 'message.unpin':
      parts.push(`message ${str(d.seq)} in ${roomName(d.room)}`)
      break
    case 'webhook.create':
    case 'webhook.delete':
      if (d.hook && typeof d.hook === 'object' && 'name' in d.hook) parts.push(`“${str(d.hook.name)}”`)
      break
    case 'integration.create':
    case 'integration.delete':
      parts.push(str(d.url))
      break
    case 'report.decide':
      parts.push(d.status === 'dismissed' ? 'dismissed' : 'resolved')
      if (typeof d.action === 'string') parts.push(DECISION_ACTIONS[d.action] ?? d.action)
      parts.push(`message ${str(d.seq)} in ${roomName(d.room)}`)
      break
    default:
      for (const [k, v] of Object.entries(d))
        parts.push(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
  }
  return parts.filter(Boolean).join(' · ')
}

/** The entry's target as a name: a user's @username, a room's #name, or a dash. */
export function targetName(e: AuditEntry): string {
  const t = e.target
  if (!t) return '–'
  return 'username' in t ? `@${t.username}` : `#${t.name}`
}
