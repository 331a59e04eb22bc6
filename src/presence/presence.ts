// The Presence port: who is online in which room, over every instance.
//
// Guarantees (test/contract/presence.test.ts):
// - `online(room)` lists each user at most once while any instance holds them there.
// - An instance that stops refreshing (it died) drops out within `ttlSeconds`, without anyone
//   cleaning up after it.
// Each instance tells only about its own sockets; the adapter keeps instances apart.

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
