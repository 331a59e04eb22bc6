// Rooms: creation (VIP or admin), listing, membership, deletion. Every change of membership
// or details is told to every instance through the hub, which updates the live sockets.
import { toPublicUser, vipActive } from '../accounts/views.ts'
import { AppError, notFound } from '../errors.ts'
import type { Files } from '../files/files.ts'
import { newId } from '../ids.ts'
import { clampLimit, decodeCursor, type Page, toPage } from '../pagination.ts'
import type { Presence } from '../presence/presence.ts'
import type { Hub } from '../realtime/hub.ts'
import type { CreateRoomBody, Member, Room, RoomsQuery } from '../schemas/rooms.ts'
import type { RoomRecord } from '../store/records.ts'
import type { Store } from '../store/store.ts'
import { toRoomView } from './views.ts'

export const notMember = () => new AppError(403, 'NOT_MEMBER', 'Join the room first')

export class RoomService {
  constructor(
    private readonly store: Store,
    private readonly hub: Hub,
    private readonly presence: Presence,
    /** The bytes of the rooms' files, removed with their room. */
    private readonly files?: Pick<Files, 'deleteByRoom'>,
  ) {}

  async create(userId: string, body: CreateRoomBody): Promise<Room> {
    const user = await this.store.users.get(userId)
    if (!user) throw new AppError(401, 'UNAUTHENTICATED', 'Authentication required')
    if (user.role !== 'admin' && !vipActive(user)) {
      throw new AppError(403, 'VIP_REQUIRED', 'Creating a room needs an active VIP membership')
    }
    const room: RoomRecord = {
      id: newId(),
      name: body.name,
      description: body.description ?? '',
      creator: { id: user.id, username: user.username, displayName: user.displayName },
      maxMembers: body.maxMembers ?? 500,
      memberCount: 1,
      createdAt: new Date(),
    }
    await this.store.rooms.create(room)
    return toRoomView(room, 0)
  }

  async list(userId: string, q: RoomsQuery): Promise<Page<Room>> {
    const limit = clampLimit(q.limit)
    const rows = await this.store.rooms.list({
      q: q.q || undefined,
      memberOf: q.mine ? userId : undefined,
      limit,
      after: decodeCursor(q.cursor, ['number', 'string']),
    })
    const page = toPage(
      rows,
      limit,
      (r) => [r.memberCount, r.id],
      (r) => r,
    )
    const seqs = await Promise.all(page.items.map((r) => this.store.messages.lastSeq(r.id)))
    return { items: page.items.map((r, i) => toRoomView(r, seqs[i]!)), nextCursor: page.nextCursor }
  }

  async get(roomId: string): Promise<Room> {
    return this.view(await this.require(roomId))
  }

  async join(userId: string, roomId: string): Promise<Room> {
    const result = await this.store.rooms.join(roomId, userId, new Date())
    if (result === 'missing') throw notFound('Room')
    if (result === 'full') throw new AppError(409, 'ROOM_FULL', 'The room is full')
    const room = await this.get(roomId)
    if (result === 'joined') await this.hub.publishEvent(roomId, { k: 'room', room })
    return room
  }

  async leave(userId: string, roomId: string): Promise<void> {
    await this.require(roomId)
    if (!(await this.store.rooms.leave(roomId, userId))) return
    // Live delivery to that user's sockets ends on every instance.
    await this.hub.publishEvent(roomId, { k: 'left', user: userId })
    await this.hub.publishEvent(roomId, { k: 'room', room: await this.get(roomId) })
  }

  async members(
    userId: string,
    roomId: string,
    q: { limit?: number; cursor?: string },
  ): Promise<Page<Member>> {
    await this.requireMember(roomId, userId)
    const limit = clampLimit(q.limit)
    const rows = await this.store.rooms.members(roomId, limit, decodeCursor(q.cursor, ['number']))
    const page = toPage(
      rows,
      limit,
      (m) => [m.ticket],
      (m) => m,
    )
    const [users, online] = await Promise.all([
      this.store.users.getMany(page.items.map((m) => m.userId)),
      this.presence.online(roomId),
    ])
    const byId = new Map(users.map((u) => [u.id, u]))
    const onlineSet = new Set(online)
    const items = page.items.flatMap((m) => {
      const u = byId.get(m.userId)
      return u
        ? [{ user: toPublicUser(u), joinedAt: m.joinedAt.toISOString(), online: onlineSet.has(m.userId) }]
        : []
    })
    return { items, nextCursor: page.nextCursor }
  }

  async delete(userId: string, roomId: string): Promise<void> {
    const room = await this.require(roomId)
    if (room.creator.id !== userId) {
      const user = await this.store.users.get(userId)
      if (user?.role !== 'admin')
        throw new AppError(403, 'FORBIDDEN', 'Only its creator or an admin may delete a room')
    }
    // The store first: from then on an upload in flight fails to post its message and removes
    // its own file, so no upload can slip in between the two deletions.
    await this.store.rooms.delete(roomId)
    await this.hub.publishEvent(roomId, { k: 'deleted' })
    await this.files?.deleteByRoom(roomId)
  }

  isMember(roomId: string, userId: string): Promise<boolean> {
    return this.store.rooms.isMember(roomId, userId)
  }

  /** 404 for no such room, 403 NOT_MEMBER when the user is not in it. */
  async requireMember(roomId: string, userId: string): Promise<RoomRecord> {
    const room = await this.require(roomId)
    if (!(await this.store.rooms.isMember(roomId, userId))) throw notMember()
    return room
  }

  private async require(roomId: string): Promise<RoomRecord> {
    const room = await this.store.rooms.get(roomId)
    if (!room) throw notFound('Room')
    return room
  }

  private async view(room: RoomRecord): Promise<Room> {
    return toRoomView(room, await this.store.messages.lastSeq(room.id))
  }
}
