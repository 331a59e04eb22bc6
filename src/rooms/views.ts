// Records to wire views for rooms and messages, and the one place a stream frame is serialised.
import type { Change, Message, Room } from '../schemas/rooms.ts'
import type { MessageRecord, RoomRecord } from '../store/records.ts'

export const toRoomView = (r: RoomRecord, lastSeq: number): Room => ({
  id: r.id,
  name: r.name,
  description: r.description,
  creator: r.creator,
  memberCount: r.memberCount,
  maxMembers: r.maxMembers,
  lastSeq,
  createdAt: r.createdAt.toISOString(),
  kind: r.kind ?? 'room',
})

/**
 * A message in its current state. `viewer` decides `mine` on reactions; frames are shared by
 * every socket, so they are made without one (`mine` false, the update's `change` says who).
 */
export const toMessageView = (m: MessageRecord, viewer?: string): Message => ({
  id: m.id,
  room: m.roomId,
  seq: m.seq,
  kind: m.kind === 'update' ? 'system' : m.kind,
  from: m.from,
  text: m.text,
  ...(m.file ? { file: m.file } : {}),
  ...(m.clientMsgId ? { clientMsgId: m.clientMsgId } : {}),
  createdAt: m.createdAt.toISOString(),
  editedAt: m.editedAt ? m.editedAt.toISOString() : null,
  deleted: m.deleted ?? false,
  replyTo: m.replyTo ?? null,
  mentions: m.mentions ?? [],
  reactions: (m.reactions ?? []).map((r) => ({
    emoji: r.emoji,
    count: r.users.length,
    mine: viewer !== undefined && r.users.includes(viewer),
  })),
})

/** What an update record says it changed (kept as JSON in its text). */
export const changeOf = (u: MessageRecord): Change | undefined => {
  try {
    const c = JSON.parse(u.text) as Omit<Change, 'by'>
    return { ...c, by: u.from?.id ?? null }
  } catch {
    return undefined
  }
}

/**
 * The frame of one event of a room's stream, serialised once and written as is to every
 * socket: a `message`, or an `update` carrying the changed message's current state.
 */
export const messageFrame = (m: MessageRecord): string => {
  if (m.kind !== 'update') return JSON.stringify({ type: 'message', message: toMessageView(m) })
  const current: MessageRecord = m.current ?? {
    // The changed message is gone with its room: a tombstone keeps the stream whole.
    ...m,
    seq: m.target ?? m.seq,
    kind: 'system',
    text: '',
    deleted: true,
    reactions: [],
  }
  return JSON.stringify({
    type: 'update',
    room: m.roomId,
    seq: m.seq,
    message: toMessageView(current),
    change: changeOf(m),
  })
}
