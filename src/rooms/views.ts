// Records to wire views for rooms and messages, and the one place a message frame is serialised.
import type { Message, Room } from '../schemas/rooms.ts'
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
})

export const toMessageView = (m: MessageRecord): Message => ({
  id: m.id,
  room: m.roomId,
  seq: m.seq,
  kind: m.kind,
  from: m.from,
  text: m.text,
  ...(m.file ? { file: m.file } : {}),
  ...(m.clientMsgId ? { clientMsgId: m.clientMsgId } : {}),
  createdAt: m.createdAt.toISOString(),
})

/** The `message` frame, serialised once and written as is to every socket. */
export const messageFrame = (m: MessageRecord): string =>
  JSON.stringify({ type: 'message', message: toMessageView(m) })
