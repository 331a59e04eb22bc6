// What this instance tells every instance about its rooms and users, on the bus: the room
// services' Announcer port (src/announcer.ts), and the notices the sockets and the presence
// tracker send (typing, a changed online list). Only publishes: what a payload means for the
// sockets of an instance is the receiver's (receiver.ts), on every instance, this one included.
import type { Announcer, RemovalReason } from '../announcer.ts'
import type { Bus } from '../bus/bus.ts'
import { publishOn } from '../bus/channel.ts'
import type { Metrics } from '../metrics.ts'
import type { Room } from '../schemas/rooms.ts'
import type { MessageRecord } from '../store/records.ts'
import { type RoomEvent, roomChannel } from './room-channel.ts'
import { messageFrame } from './server-frames.ts'
import { userChannel } from './user-channel.ts'

export class Publisher implements Announcer {
  constructor(
    private readonly bus: Bus,
    private readonly metrics: Pick<Metrics, 'busPublish'>,
  ) {}

  /** Tells every instance about a stored message. Resolves once published (not delivered). */
  async messageStored(message: MessageRecord): Promise<void> {
    const end = this.metrics.busPublish.startTimer()
    const ch = roomChannel(message.roomId)
    // Marked with its seq: an instance that lost this publish sees the mark ahead of what it
    // delivered at its next sweep, and fills the gap from the store.
    await this.bus.publishMarked(
      ch.name,
      ch.encode({
        kind: 'message',
        seq: message.seq,
        frame: messageFrame(message),
        createdAt: message.createdAt.getTime(),
      }),
      message.seq,
    )
    end()
  }

  roomChanged(room: Room): Promise<void> {
    return this.event(room.id, { k: 'room', room })
  }

  memberRemoved(roomId: string, userId: string, reason: RemovalReason): Promise<void> {
    return this.event(roomId, { k: 'left', user: userId, reason })
  }

  roomDeleted(roomId: string): Promise<void> {
    return this.event(roomId, { k: 'deleted' })
  }

  readMoved(userId: string, roomId: string, seq: number): Promise<void> {
    return publishOn(this.bus, userChannel, { k: 'read', user: userId, room: roomId, seq })
  }

  /** A socket's typing notice, for the room's other followers on every instance. */
  typing(roomId: string, userId: string): Promise<void> {
    return this.event(roomId, { k: 'typing', user: userId })
  }

  /** Someone came online in the room or went: every instance re-reads its online list. */
  presenceChanged(roomId: string): Promise<void> {
    return this.event(roomId, { k: 'presence' })
  }

  private event(roomId: string, event: RoomEvent): Promise<void> {
    return publishOn(this.bus, roomChannel(roomId), { kind: 'event', event })
  }
}
