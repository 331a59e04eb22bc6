// Records to wire views for rooms and messages. Shared by the room services, the routes and the
// realtime layer's frames (src/realtime/server-frames.ts), so none of them imports another.
import { toAuthor, toUserRef } from '../accounts/views.ts'
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
  from: m.from ? toAuthor(m.from) : null,
  text: m.text,
  ...(m.file ? { file: m.file } : {}),
  ...(m.clientMsgId ? { clientMsgId: m.clientMsgId } : {}),
  createdAt: m.createdAt.toISOString(),
  editedAt: m.editedAt ? m.editedAt.toISOString() : null,
  deleted: m.deleted ?? false,
  // Built field by field: a snapshot's stored avatar id is not part of a reference.
  replyTo: m.replyTo ? { ...m.replyTo, from: m.replyTo.from ? toUserRef(m.replyTo.from) : null } : null,
  mentions: m.mentions ?? [],
  reactions: (m.reactions ?? []).map((r) => ({
    emoji: r.emoji,
    count: r.users.length,
    mine: viewer !== undefined && r.users.includes(viewer),
  })),
  ...(m.from?.hook !== undefined ? { hook: { id: m.from.id, name: m.from.hook } } : {}),
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
