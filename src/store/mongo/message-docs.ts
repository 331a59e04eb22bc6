// The messages collection as stored, and what every part of the message store reads it with:
// the document, its indexes, the record made of it, the room's last seq and a message by seq.
import type { Collection, Db, IndexDescription, ObjectId } from 'mongodb'
import type { MessageRecord } from '../records.ts'
import { hex, oidOrNull } from './ids.ts'

export interface MessageDoc extends Omit<MessageRecord, 'id' | 'roomId' | 'reactions' | 'current'> {
  _id: ObjectId
  roomId: ObjectId
  /**
   * `${roomId}:${senderId}:${clientMsgId}`, or the message id when there is no clientMsgId:
   * unique, so a retried send is stored once (no partial index needed).
   */
  dedupe: string
  /**
   * The search terms of the text (src/search/terms.ts): on every message appended or edited
   * since search exists, empty once deleted, absent on what the backfill has not reached yet.
   * Never on updates.
   */
  terms?: string[]
}

export const messageIndexes: IndexDescription[] = [
  { key: { roomId: 1, seq: 1 }, name: 'room_seq_unique', unique: true },
  { key: { dedupe: 1 }, name: 'dedupe_unique', unique: true },
  // Search (search.ts): one term, then the caller's rooms, newest first within each.
  { key: { terms: 1, roomId: 1, _id: -1 }, name: 'terms_room_id' },
]

export const toMessage = ({ _id, roomId, dedupe: _, terms: __, ...rest }: MessageDoc): MessageRecord => ({
  id: hex(_id),
  roomId: hex(roomId),
  editedAt: null,
  deleted: false,
  replyTo: null,
  mentions: [],
  target: null,
  ...rest,
})

export const messagesOf = (db: Db): Collection<MessageDoc> => db.collection<MessageDoc>('messages')

/** The seq of the room's newest message or update, 0 when there is none. */
export const lastSeqOf = async (messages: Collection<MessageDoc>, roomId: ObjectId): Promise<number> =>
  (
    await messages
      .find({ roomId }, { projection: { seq: 1 } })
      .sort({ seq: -1 })
      .limit(1)
      .next()
  )?.seq ?? 0

/** The message (not an update) of this seq, as stored. */
export const baseOf = async (messages: Collection<MessageDoc>, roomId: string, seq: number) => {
  const room = oidOrNull(roomId)
  return room ? messages.findOne({ roomId: room, seq, kind: { $ne: 'update' } }) : null
}
