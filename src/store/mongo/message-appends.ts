// Appending to a room's stream in MongoDB: the seq is taken by inserting it (the unique
// (roomId, seq) index), and a repeated clientMsgId collides on `dedupe` instead.
import type { Db, ObjectId } from 'mongodb'
import { indexTerms } from '../../search/terms.ts'
import type { MessageRecord, NewMessage } from '../records.ts'
import type { MessageStore } from '../store.ts'
import { isDuplicateKey, oid } from './ids.ts'
import { lastSeqOf, type MessageDoc, messagesOf, toMessage } from './message-docs.ts'

/** A message's search terms travel on its own document (one write); updates have none. */
const termsOf = (m: Pick<NewMessage, 'kind' | 'text'>): { terms?: string[] } =>
  m.kind === 'update' ? {} : { terms: indexTerms(m.text) }

export function mongoAppends(db: Db): Pick<MessageStore, 'append' | 'appendMany' | 'sent'> {
  const messages = messagesOf(db)
  const lastSeq = (room: ObjectId) => lastSeqOf(messages, room)

  const dedupeOf = ({ id, roomId, from, clientMsgId }: NewMessage) =>
    clientMsgId ? `${roomId}:${from?.id ?? ''}:${clientMsgId}` : id

  const append = async ({ id, roomId, current, ...m }: NewMessage, hint?: number) => {
    const room = oid(roomId)
    const dedupe = dedupeOf({ id, roomId, ...m })
    const terms = termsOf(m)
    const first = async () => (m.clientMsgId ? await messages.findOne({ dedupe }) : null)
    // The seq is taken by inserting it: the unique (roomId, seq) index lets exactly one
    // writer have each number. Starting from the last known seq leaves no gap; a collision
    // means another instance was faster, and we move past what it stored. A repeated
    // clientMsgId collides on `dedupe` instead, and gets the message stored first.
    let seq = hint ?? (await lastSeq(room))
    for (;;) {
      seq++
      const doc: MessageDoc = { _id: oid(id), roomId: room, seq, dedupe, ...m, ...terms }
      try {
        await messages.insertOne(doc)
        return {
          message: { ...toMessage(doc), ...(current !== undefined ? { current } : {}) },
          duplicate: false,
        }
      } catch (err) {
        if (!isDuplicateKey(err)) throw err
        const again = await first()
        if (again) return { message: toMessage(again), duplicate: true }
        seq = Math.max(seq, await lastSeq(room))
      }
    }
  }

  return {
    append,
    async sent(roomId, senderId, clientMsgId) {
      const first = await messages.findOne({ dedupe: `${roomId}:${senderId}:${clientMsgId}` })
      return first ? toMessage(first) : null
    },
    async appendMany(list, hint) {
      if (list.length <= 1) return list.length === 1 ? [await append(list[0]!, hint)] : []
      // One ordered insert of the whole batch at the next seqs. Ordered means the server stops
      // at the first document that collides: everything before it is stored, gapless. The one
      // that collided is either a repeated clientMsgId (answered with the message stored
      // first) or a seq another instance took (the batch moves past the room's last seq); then
      // the rest goes again as one insert.
      const room = oid(list[0]!.roomId)
      const results: { message: MessageRecord; duplicate: boolean }[] = []
      let last = hint ?? (await lastSeq(room))
      let rest = list
      while (rest.length > 0) {
        const from = last
        const docs: MessageDoc[] = rest.map(({ id, roomId: _, current: __, ...m }, i) => ({
          _id: oid(id),
          roomId: room,
          seq: from + 1 + i,
          dedupe: dedupeOf(rest[i]!),
          ...m,
          ...termsOf(m),
        }))
        let stored = docs.length
        try {
          await messages.insertMany(docs, { ordered: true })
        } catch (err) {
          const e = err as { writeErrors?: { index?: number }[]; insertedCount?: number }
          if (!isDuplicateKey(err) && !e.writeErrors?.length) throw err
          stored = e.writeErrors?.[0]?.index ?? e.insertedCount ?? 0
        }
        for (const [i, d] of docs.slice(0, stored).entries()) {
          const current = rest[i]!.current
          results.push({
            message: { ...toMessage(d), ...(current !== undefined ? { current } : {}) },
            duplicate: false,
          })
        }
        if (stored > 0) last = docs[stored - 1]!.seq
        rest = rest.slice(stored)
        if (rest.length === 0) break
        const collided = rest[0]!
        const first = collided.clientMsgId ? await messages.findOne({ dedupe: dedupeOf(collided) }) : null
        if (first) {
          results.push({ message: toMessage(first), duplicate: true })
          rest = rest.slice(1)
        } else {
          last = Math.max(last + 1, await lastSeq(room))
        }
      }
      return results
    },
  }
}
