// The frames the server sends a ChatSocket, each taken to where it belongs: a room's messages
// and updates to its ordered stream (RoomSet), acks and refused sends to the outbox, answers to
// joins to the rooms, everything else to the app as an event.
import { ChatError } from './errors.ts'
import type { Outbox } from './outbox.ts'
import type { RoomSet } from './room-set.ts'
import type { ChatSocketEvents } from './socket-types.ts'
import type { ServerFrame } from './wire.ts'

export interface FrameTarget {
  rooms: RoomSet
  outbox: Outbox
  emit<K extends keyof ChatSocketEvents>(event: K, ...args: ChatSocketEvents[K]): void
  /** An error frame that answers nothing is only worth an event when someone listens. */
  listensToErrors(): boolean
}

/** A frame off the wire, or null for anything that is not one (ignored, as the server ignores ours). */
export function parseFrame(text: string): ServerFrame | null {
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof (parsed as { type?: unknown } | null)?.type !== 'string') return null
    return parsed as ServerFrame
  } catch {
    return null
  }
}

export function dispatchFrame(frame: ServerFrame, to: FrameTarget): void {
  switch (frame.type) {
    case 'message':
      to.rooms.onMessage(frame.message)
      return
    case 'update':
    case 'pin':
      to.rooms.onMessage(frame)
      return
    case 'read':
      to.emit('read', frame)
      return
    case 'ack':
      to.outbox.ack(frame)
      return
    case 'joined':
      to.rooms.onJoined(frame)
      return
    case 'presence':
      to.emit('presence', frame)
      return
    case 'typing':
      to.emit('typing', frame)
      return
    case 'room':
      to.emit('room', frame.room)
      return
    case 'removed':
      to.rooms.leave(frame.room, new ChatError('REMOVED', `removed from ${frame.room}: ${frame.reason}`))
      to.emit('removed', frame)
      return
    case 'error': {
      const error = new ChatError(frame.code, frame.message)
      if (
        frame.ref !== undefined &&
        (to.outbox.fail(frame.ref, error) || to.rooms.failJoin(frame.ref, error))
      )
        return
      if (to.listensToErrors()) to.emit('error', error)
      return
    }
    case 'pong':
      return
  }
}
