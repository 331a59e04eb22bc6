// The Presence port: who is online in which room, over every instance. In process memory in
// the embedded mode (presence-memory.ts), Redis sorted sets in the scaled mode (presence-redis.ts).
//
// Guarantees (test/contract/presence.test.ts checks them on every implementation):
// - `online(room)` lists each user once, sorted, while any instance holds them there, however
//   many instances (or sockets) hold them.
// - Each instance tells only about its own sockets: a `release` on one instance leaves the
//   holds of the others in place.
// - An instance that stops refreshing (it died) drops out within `ttlSeconds`, without anyone
//   cleaning up after it; an instance that refreshes within `ttlSeconds` stays.
// - `onlineMany` answers as `online` for each room, in the order asked.
// In one process (`ttlSeconds` infinite) the holds are the truth and never expire.

export interface Presence {
  /** Marks these users online in these rooms from this instance, for the next `ttlSeconds`. */
  hold(entries: { room: string; user: string }[]): Promise<void>
  /** This instance no longer holds the user in the room. */
  release(room: string, user: string): Promise<void>
  /** The users online in the room, sorted. */
  online(room: string): Promise<string[]>
  /** `online` of many rooms in one round trip, in the same order. */
  onlineMany(rooms: string[]): Promise<string[][]>
  readonly ttlSeconds: number
}
