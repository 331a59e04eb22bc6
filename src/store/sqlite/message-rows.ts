// A row of the messages table, and the record made of it: what every part of the SQLite
// message store reads it with.
import type { MessageRecord } from '../records.ts'

export interface Row {
  id: string
  room_id: string
  seq: number
  kind: MessageRecord['kind']
  from_user: string | null
  text: string
  file: string | null
  client_msg_id: string | null
  created_at: number
  edited_at: number | null
  deleted: number
  reply_to: string | null
  mentions: string
  target: number | null
  search_id?: number | null
}

export const toMessage = (r: Row): MessageRecord => ({
  id: r.id,
  roomId: r.room_id,
  seq: r.seq,
  kind: r.kind,
  from: r.from_user ? JSON.parse(r.from_user) : null,
  text: r.text,
  file: r.file ? JSON.parse(r.file) : null,
  clientMsgId: r.client_msg_id,
  createdAt: new Date(r.created_at),
  editedAt: r.edited_at === null ? null : new Date(r.edited_at),
  deleted: r.deleted === 1,
  replyTo: r.reply_to ? JSON.parse(r.reply_to) : null,
  mentions: JSON.parse(r.mentions),
  target: r.target,
})
