// Leaving, on MongoDB: a user's things by owner (the indexes below), and the account made a
// tombstone in place (its name keys stay claimed).
import type { Db, IndexDescription } from 'mongodb'
import { DELETED_NAME, type LeaveStore } from '../leave-store.ts'
import { type FileDoc, toFile } from './files.ts'
import { hex, oid, oidOrNull } from './ids.ts'
import { messagesOf, toMessage } from './message-docs.ts'
import { type PostDoc, toPost } from './posts.ts'
import type { RoomDoc } from './rooms.ts'
import { type SessionDoc, toSession } from './sessions.ts'
import { toUser, type UserDoc } from './users.ts'

/** Added to the collections' own indexes. */
export const leaveIndexes: Record<string, IndexDescription[]> = {
  messages: [{ key: { 'from.id': 1, roomId: 1, seq: 1 }, name: 'author_room_seq' }],
  files: [{ key: { uploaderId: 1, _id: 1 }, name: 'uploader' }],
  posts: [{ key: { authorId: 1, _id: 1 }, name: 'author' }],
}

export function mongoLeave(db: Db): LeaveStore {
  const messages = messagesOf(db)
  const files = db.collection<FileDoc>('files')
  const posts = db.collection<PostDoc>('posts')
  const sessions = db.collection<SessionDoc>('sessions')
  const users = db.collection<UserDoc>('users')
  const rooms = db.collection<RoomDoc>('rooms')
  const after = (id: string) => (id ? { _id: { $gt: oid(id) } } : {})

  return {
    async roomsAuthored(userId) {
      const ids = await messages.distinct('roomId', { 'from.id': userId, kind: { $ne: 'update' } })
      return ids.map(hex)
    },
    async authored(userId, roomId, afterSeq, limit, live = false) {
      const room = oidOrNull(roomId)
      if (!room) return []
      const docs = await messages
        .find({
          'from.id': userId,
          roomId: room,
          seq: { $gt: afterSeq },
          kind: { $ne: 'update' },
          ...(live ? { deleted: { $ne: true } } : {}),
        })
        .sort({ seq: 1 })
        .limit(limit)
        .toArray()
      return docs.map(toMessage)
    },
    async files(userId, afterId, limit) {
      const uploader = oidOrNull(userId)
      if (!uploader) return []
      const docs = await files
        .find({ uploaderId: uploader, ...after(afterId) })
        .sort({ _id: 1 })
        .limit(limit)
        .toArray()
      return docs.map(toFile)
    },
    async dropFileRefs(userId) {
      await messages.updateMany({ 'from.id': userId, file: { $ne: null } }, { $set: { file: null } })
    },
    async posts(userId, afterId, limit) {
      const docs = await posts
        .find({ authorId: userId, ...after(afterId) })
        .sort({ _id: 1 })
        .limit(limit)
        .toArray()
      return docs.map(toPost)
    },
    async removePosts(userId) {
      return (await posts.deleteMany({ $or: [{ authorId: userId }, { wall: userId }] })).deletedCount
    },
    async sessions(userId) {
      const docs = await sessions.find({ userId }).sort({ createdAt: 1, _id: 1 }).toArray()
      return docs.map(toSession)
    },
    async markDeleted(userId) {
      const _id = oidOrNull(userId)
      if (!_id) return null
      await users.updateOne(
        { _id },
        {
          $set: {
            deleted: true,
            displayName: DELETED_NAME,
            displayNameLower: DELETED_NAME.toLowerCase(),
            bio: '',
            passwordHash: '',
            totpSecret: null,
            totpPending: null,
            email: null,
            emailVerified: false,
            role: 'user',
            theme: { mode: 'system' },
            vipExpiresAt: null,
          },
        },
      )
      const doc = await users.findOne({ _id })
      return doc ? toUser(doc) : null
    },
    async renameAuthor(userId, snapshot) {
      await messages.updateMany({ 'from.id': userId }, { $set: { from: snapshot } })
      await messages.updateMany({ 'replyTo.from.id': userId }, { $set: { 'replyTo.from': snapshot } })
      await rooms.updateMany(
        { 'creator.id': userId },
        { $set: { 'creator.username': snapshot.username, 'creator.displayName': snapshot.displayName } },
      )
    },
  }
}
