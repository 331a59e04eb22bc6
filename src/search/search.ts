// Message search: the caller's rooms at the time of the search, the candidates the store's
// index finds for the query's terms, kept when the query really occurs in them (phrases,
// character sequences: matchSpans), with their highlights. The work of one request is bounded:
// at most MAX_EXAMINED candidates, after which the page ends short with a cursor to go on.
import { invalid, notFound } from '../errors.ts'
import { decodeCursor, encodeCursor } from '../pagination.ts'
import { canSee, notMember } from '../rooms/rooms.ts'
import { QUERY_MAX, type SearchHit, type SearchPage, type SearchQuery } from '../schemas/search.ts'
import type { RoomRecord } from '../store/records.ts'
import type { Store } from '../store/store.ts'
import { toMessageView } from '../views/rooms.ts'
import { lookupTerms, matchSpans, parseQuery } from './terms.ts'

/** Candidates one request examines at most. */
export const MAX_EXAMINED = 1000

export class SearchService {
  constructor(private readonly store: Pick<Store, 'rooms' | 'search'>) {}

  async search(userId: string, q: SearchQuery): Promise<SearchPage> {
    const length = [...q.q].length
    if (length < 1 || length > QUERY_MAX || q.q.trim() === '')
      throw invalid(`q must be 1..${QUERY_MAX} characters and not only spaces`)
    const after = q.after === undefined ? undefined : new Date(q.after)
    const before = q.before === undefined ? undefined : new Date(q.before)
    if ((after && Number.isNaN(after.getTime())) || (before && Number.isNaN(before.getTime())))
      throw invalid('after and before must be times')
    let cursor = decodeCursor<[string]>(q.cursor, ['string'])?.[0] ?? null
    const limit = q.limit ?? 20
    const parsed = parseQuery(q.q)
    const terms = lookupTerms(parsed)
    // Membership now, from the store: a room left or kicked from a moment ago is not searched.
    const mine = await this.store.rooms.roomsOf(userId)
    const rooms = q.room === undefined ? mine : mine.filter((r) => r === q.room)
    // A room asked for by id answers as every room route does: 404 for one that is not there or
    // not the caller's to see (someone else's direct room), 403 for one the caller is not in.
    if (q.room !== undefined && rooms.length === 0) {
      const room = await this.store.rooms.get(q.room)
      if (!room || !canSee(room, userId)) throw notFound('Room')
      throw notMember()
    }
    if (terms.length === 0 || rooms.length === 0) return { items: [], nextCursor: null }

    const items: SearchHit[] = []
    const roomCache = new Map<string, Promise<RoomRecord | null>>()
    let examined = 0
    // The index has nothing past the last candidate examined.
    let exhausted = false
    while (items.length < limit && examined < MAX_EXAMINED) {
      const page = await this.store.search.candidates({
        rooms,
        terms,
        ...(q.from ? { from: q.from } : {}),
        ...(q.has === 'file' ? { hasFile: true } : {}),
        ...(after ? { after } : {}),
        ...(before ? { before } : {}),
        limit: Math.min(MAX_EXAMINED - examined, Math.max(limit * 4, 50)),
        cursor,
      })
      let read = 0
      for (const { message, key } of page.items) {
        read++
        cursor = key
        const highlights = matchSpans(parsed, message.text)
        if (!highlights) continue
        if (!roomCache.has(message.roomId))
          roomCache.set(message.roomId, this.store.rooms.get(message.roomId))
        const room = await roomCache.get(message.roomId)!
        if (!room) continue
        items.push({
          room: { id: room.id, name: room.name, kind: room.kind ?? 'room' },
          message: toMessageView(message, userId),
          highlights,
        })
        if (items.length === limit) break
      }
      examined += read
      if (page.next === null && read === page.items.length) exhausted = true
      if (page.next === null) break
    }
    return { items, nextCursor: !exhausted && cursor !== null ? encodeCursor([cursor]) : null }
  }
}
