// Rooms: creation (VIP or admin), listing, membership, deletion. Every change of membership
// or details is announced to every instance (the Announcer port), which updates the live sockets.
import { toPublicUser, vipActive } from '../accounts/views.ts'
import type { Announcer } from '../announcer.ts'
import { type AuditService, roomRef, userRef } from '../audit/audit.ts'
import { AppError, notFound } from '../errors.ts'
import type { Files } from '../files/files.ts'
import { newId } from '../ids.ts'
import { clampLimit, decodeCursor, type Page, toPage } from '../pagination.ts'
import type { Presence } from '../presence/presence.ts'
import { blockedError, eitherBlocks } from '../safety/blocks.ts'
import type { CreateRoomBody, Member, Room, RoomsQuery } from '../schemas/rooms.ts'
import type { RoomBar, RoomRecord, UserRecord } from '../store/records.ts'
import type { Store } from '../store/store.ts'
import { toRoomView } from '../views/rooms.ts'

export const notMember = () => new AppError(403, 'NOT_MEMBER', 'Join the room first')

/**
 * Whether the user may know the room exists: a direct room is its two users' business only.
 * A room they may not see answers exactly as an id that does not exist, on every route, so its
 * existence cannot be told from the answers.
 */
export const canSee = (room: RoomRecord, userId: string): boolean => !room.dm || room.dm.includes(userId)

/** How long a kick keeps the user out when the moderator does not say. */
export const KICK_BAR_MINUTES = 10

const barredError = (bar: RoomBar | null) =>
  new AppError(
    403,
    'BANNED_FROM_ROOM',
    bar?.until
      ? `You were removed from this room and may join again at ${bar.until.toISOString()}`
      : 'You are banned from this room',
  )

export class RoomService {
  constructor(
    private readonly store: Store,
    private readonly announce: Announcer,
    private readonly presence: Presence,
    /** The bytes of the rooms' files, removed with their room. */
    private readonly files: Pick<Files, 'deleteByRoom'>,
    /** Kicks, bans and mutes are logged with their action. */
    private readonly audit: AuditService,
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
    const views = page.items.map((r, i) => toRoomView(r, seqs[i]!))
    return { items: q.mine ? await this.personal(views, userId, true) : views, nextCursor: page.nextCursor }
  }

  async get(roomId: string, viewer?: string): Promise<Room> {
    const record = viewer ? await this.visible(roomId, viewer) : await this.require(roomId)
    const room = await this.view(record)
    return viewer ? (await this.personal([room], viewer))[0]! : room
  }

  /**
   * The one direct room of the user and `peerId`, created on first use with both as members
   * (no VIP needed); the same room from either side, even when both open it at once.
   */
  async openDm(userId: string, peerId: string): Promise<Room> {
    const [user, peer] = await Promise.all([this.store.users.get(userId), this.store.users.get(peerId)])
    if (!user) throw new AppError(401, 'UNAUTHENTICATED', 'Authentication required')
    if (!peer || peer.banned) throw notFound('User')
    if (peer.id === user.id) throw new AppError(400, 'VALIDATION', 'A direct room needs two different users')
    // Rare enough to read from the store; the sends in it ask the lists each instance keeps.
    if (await eitherBlocks((id) => this.store.blocks.list(id), user.id, peer.id)) throw blockedError()
    const dm = [user.id, peer.id].sort() as [string, string]
    const room = await this.store.rooms.openDm({
      id: newId(),
      name: `${user.username} & ${peer.username}`.slice(0, 80),
      description: '',
      creator: { id: user.id, username: user.username, displayName: user.displayName },
      maxMembers: 2,
      memberCount: 2,
      createdAt: new Date(),
      kind: 'dm',
      dm,
    })
    // Opening it is the way back to a direct room one left (hid).
    await this.store.rooms.unhide(room.id, userId)
    return (await this.personal([await this.view(room)], userId))[0]!
  }

  /**
   * Removes a member (the room's creator or an admin) and keeps them from joining again for
   * `minutes` (0: removed only); the user's sockets get `removed` with reason `kicked`.
   */
  async kick(userId: string, roomId: string, targetId: string, minutes = KICK_BAR_MINUTES): Promise<void> {
    const room = await this.requireModerator(userId, roomId)
    if (targetId === room.creator.id)
      throw new AppError(403, 'FORBIDDEN', "The room's creator cannot be kicked")
    const target = await this.requireAbove(userId, room, targetId)
    // Nothing to do (and nothing to log) for no such user, or a non-member with no bar to set.
    if (!target || (minutes === 0 && !(await this.store.rooms.isMember(roomId, targetId)))) return
    const bar: RoomBar | null =
      minutes > 0 ? { kind: 'kick', until: new Date(Date.now() + minutes * 60_000) } : null
    const entry = await this.audit.entry(userId, 'room.kick', userRef(target), {
      room: roomRef(room),
      minutes,
    })
    await this.removed(room, targetId, await this.store.rooms.exclude(roomId, targetId, bar, entry), 'kicked')
  }

  /**
   * Bans the user from the room until `unban` (the room's creator or an admin): a member is
   * removed (`removed` with reason `banned`); a join is refused with 403 BANNED_FROM_ROOM.
   */
  async ban(userId: string, roomId: string, targetId: string): Promise<void> {
    const room = await this.requireModerator(userId, roomId)
    if (targetId === room.creator.id)
      throw new AppError(403, 'FORBIDDEN', "The room's creator cannot be banned")
    const target = await this.requireAbove(userId, room, targetId)
    if (!target) throw notFound('User')
    const entry = await this.audit.entry(userId, 'room.ban', userRef(target), { room: roomRef(room) })
    const left = await this.store.rooms.exclude(roomId, targetId, { kind: 'ban', until: null }, entry)
    await this.removed(room, targetId, left, 'banned')
  }

  /** Lifts the user's ban (and a kick's bar) of the room; idempotent. */
  async unban(userId: string, roomId: string, targetId: string): Promise<void> {
    const room = await this.requireModerator(userId, roomId)
    const target = await this.requireAbove(userId, room, targetId)
    if (!target) throw notFound('User')
    await this.store.rooms.unbar(
      roomId,
      targetId,
      await this.audit.entry(userId, 'room.unban', userRef(target), { room: roomRef(room) }),
    )
  }

  /** After a removal: the user's sockets on every instance stop following the room, told why. */
  private async removed(room: RoomRecord, targetId: string, left: boolean, reason: 'kicked' | 'banned') {
    if (!left) return
    await this.announce.memberRemoved(room.id, targetId, reason)
    await this.announce.roomChanged(await this.get(room.id))
  }

  /** Mutes a member for `minutes` (0 lifts it): their sends get 403 MUTED on every instance until then. */
  async mute(userId: string, roomId: string, targetId: string, minutes: number): Promise<void> {
    const room = await this.requireModerator(userId, roomId)
    if (targetId === room.creator.id)
      throw new AppError(403, 'FORBIDDEN', "The room's creator cannot be muted")
    const target = await this.requireAbove(userId, room, targetId)
    if (!target || !(await this.store.rooms.isMember(roomId, targetId))) throw notFound('Member')
    await this.store.rooms.mute(
      roomId,
      targetId,
      minutes > 0 ? new Date(Date.now() + minutes * 60_000) : null,
      await this.audit.entry(userId, 'room.mute', userRef(target), { room: roomRef(room), minutes }),
    )
  }

  /**
   * The user a moderator acts on (null when there is none). A room's creator moderates members,
   * never a site admin (kick, mute, ban): only an admin moderates an admin.
   */
  private async requireAbove(userId: string, room: RoomRecord, targetId: string): Promise<UserRecord | null> {
    const target = await this.store.users.get(targetId)
    // Otherwise the actor is an admin (requireModerator said so).
    if (room.creator.id === userId && target?.role === 'admin')
      throw new AppError(403, 'FORBIDDEN', "A site admin is not moderated by a room's creator")
    return target
  }

  private async requireModerator(userId: string, roomId: string): Promise<RoomRecord> {
    const room = await this.visible(roomId, userId)
    if (room.kind === 'dm') throw new AppError(403, 'FORBIDDEN', 'A direct room has no moderators')
    if (room.creator.id !== userId) {
      const user = await this.store.users.get(userId)
      if (user?.role !== 'admin')
        throw new AppError(403, 'FORBIDDEN', "Only the room's creator or an admin may do this")
    }
    return room
  }

  /**
   * What a room shows its viewer: a direct room's `peer`; for a member, the read marker and the
   * unread count (one unread query for all of them).
   */
  private async personal(views: Room[], viewer: string, allMine = false): Promise<Room[]> {
    const dmPeers = new Map<string, string>()
    const records = await Promise.all(
      views.filter((v) => v.kind === 'dm').map((v) => this.store.rooms.get(v.id)),
    )
    for (const r of records) {
      const other = r?.dm?.find((u) => u !== viewer) ?? r?.dm?.[0]
      if (r && other) dmPeers.set(r.id, other)
    }
    const [peers, unread, mine] = await Promise.all([
      this.store.users.getMany([...new Set(dmPeers.values())]),
      this.store.messages.unread(
        viewer,
        views.map((v) => v.id),
      ),
      allMine
        ? views.map(() => true)
        : Promise.all(views.map((v) => this.store.rooms.isMember(v.id, viewer))),
    ])
    const peerById = new Map(peers.map((u) => [u.id, u]))
    const unreadByRoom = new Map(unread.map((u) => [u.room, u]))
    const reads = await Promise.all(
      views.map((v, i) =>
        mine[i] && !unreadByRoom.has(v.id) ? this.store.messages.readSeq(v.id, viewer) : Promise.resolve(0),
      ),
    )
    return views.map((v, i) => {
      const peerId = dmPeers.get(v.id)
      const peer = peerId ? peerById.get(peerId) : undefined
      const u = unreadByRoom.get(v.id)
      return {
        ...v,
        ...(v.kind === 'dm' ? { peer: peer ? toPublicUser(peer) : null } : {}),
        ...(mine[i] ? { readSeq: u?.readSeq ?? reads[i]!, unread: u?.unread ?? 0 } : {}),
      }
    })
  }

  async join(userId: string, roomId: string): Promise<Room> {
    const record = await this.visible(roomId, userId)
    const now = new Date()
    const result = await this.store.rooms.join(roomId, userId, now)
    if (result === 'missing') throw notFound('Room')
    if (result === 'full') throw new AppError(409, 'ROOM_FULL', 'The room is full')
    if (result === 'barred') throw barredError(await this.store.rooms.barOf(roomId, userId, now))
    // Joining a direct room one left (hid) lists it again.
    if (result === 'already' && record.kind === 'dm') await this.store.rooms.unhide(roomId, userId)
    const room = await this.get(roomId)
    if (result === 'joined') await this.announce.roomChanged(room)
    return room
  }

  async leave(userId: string, roomId: string): Promise<void> {
    const room = await this.visible(roomId, userId)
    if (room.kind === 'dm') return this.hide(userId, room)
    if (!(await this.store.rooms.leave(roomId, userId))) return
    // Live delivery to that user's sockets ends on every instance.
    await this.announce.memberRemoved(roomId, userId, 'left')
    await this.announce.roomChanged(await this.get(roomId))
  }

  /**
   * Ends every membership of a user whose account goes: direct rooms too (the other side keeps
   * the room and its history). Live delivery to the user's sockets ends on every instance.
   */
  async leaveAll(userId: string): Promise<void> {
    for (const roomId of await this.store.rooms.roomsOf(userId)) {
      if (!(await this.store.rooms.leave(roomId, userId))) continue
      await this.announce.memberRemoved(roomId, userId, 'left')
      const room = await this.store.rooms.get(roomId)
      if (room) await this.announce.roomChanged(await this.view(room))
    }
  }

  /**
   * Leaving a direct room hides it from the member's lists until a new message arrives; the
   * membership stays, so the other side keeps writing to them and nothing of theirs is lost.
   * The room counts as read (it leaves the unread list too); live delivery to the member's
   * sockets ends as for any leave.
   */
  private async hide(userId: string, room: RoomRecord): Promise<void> {
    const last = await this.store.messages.lastSeq(room.id)
    if (!(await this.store.rooms.hide(room.id, userId, last))) return
    if (await this.store.messages.markRead(room.id, userId, last))
      await this.announce.readMoved(userId, room.id, last)
    await this.announce.memberRemoved(room.id, userId, 'left')
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
    // A direct room holds both sides' messages and files: neither of its two deletes it (each
    // may leave it), only an admin.
    if (room.creator.id !== userId || room.kind === 'dm') {
      const user = await this.store.users.get(userId)
      if (user?.role !== 'admin') {
        // An admin deletes any room; anyone else learns nothing of a room they may not see.
        if (!canSee(room, userId)) throw notFound('Room')
        throw new AppError(
          403,
          'FORBIDDEN',
          room.kind === 'dm'
            ? 'A direct room is not deleted by its members: leave it instead'
            : 'Only its creator or an admin may delete a room',
        )
      }
    }
    // The store first: from then on an upload in flight fails to post its message and removes
    // its own file, so no upload can slip in between the two deletions.
    await this.store.rooms.delete(roomId)
    // Its incoming webhooks go with it (a post reads the room too: none works from now on).
    await this.store.webhooks.deleteByRoom(roomId)
    await this.announce.roomDeleted(roomId)
    await this.files.deleteByRoom(roomId)
  }

  isMember(roomId: string, userId: string): Promise<boolean> {
    return this.store.rooms.isMember(roomId, userId)
  }

  /** 404 for no such room (or one the user may not see), 403 NOT_MEMBER when the user is not in it. */
  async requireMember(roomId: string, userId: string): Promise<RoomRecord> {
    const room = await this.visible(roomId, userId)
    if (!(await this.store.rooms.isMember(roomId, userId))) throw notMember()
    return room
  }

  /** The room, or 404 NOT_FOUND, the same answer for a room that exists but the user may not see (`canSee`). */
  private async visible(roomId: string, userId: string): Promise<RoomRecord> {
    const room = await this.require(roomId)
    if (!canSee(room, userId)) throw notFound('Room')
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
