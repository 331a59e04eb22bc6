// Wire schemas of search and pins (docs: the contract's "Finding things").
import { type Static, Type } from 'typebox'
import { Id, Time } from './common.ts'
import { Message } from './rooms.ts'
import { UserRef } from './users.ts'

/** The longest query, in code points (the schema's maxLength counts UTF-16 units: checked again). */
export const QUERY_MAX = 200

export const SearchQuery = Type.Object({
  q: Type.String({ minLength: 1, maxLength: QUERY_MAX * 2, description: `1..${QUERY_MAX} code points` }),
  room: Type.Optional(Id),
  from: Type.Optional(Id),
  has: Type.Optional(Type.Literal('file')),
  after: Type.Optional(Time),
  before: Type.Optional(Time),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  cursor: Type.Optional(Type.String({ maxLength: 128 })),
})
export type SearchQuery = Static<typeof SearchQuery>

export const SearchHit = Type.Object(
  {
    room: Type.Object({
      id: Id,
      name: Type.String(),
      kind: Type.Union([Type.Literal('room'), Type.Literal('dm')]),
    }),
    message: Message,
    // A pair as an array of two (OpenAPI 3.0 has no tuples).
    highlights: Type.Array(Type.Array(Type.Integer({ minimum: 0 }), { minItems: 2, maxItems: 2 }), {
      description: 'code point offsets into message.text, [start, end) per occurrence of a term',
    }),
  },
  { title: 'SearchHit' },
)
export type SearchHit = Static<typeof SearchHit>

export const SearchPage = Type.Object({
  items: Type.Array(SearchHit),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
})
export type SearchPage = Static<typeof SearchPage>

export const Pin = Type.Object(
  { message: Message, pinnedBy: Type.Union([UserRef, Type.Null()]), pinnedAt: Time },
  { title: 'Pin' },
)
export type Pin = Static<typeof Pin>

export const PinList = Type.Object({ items: Type.Array(Pin) })

/** At most this many pinned messages per room. */
export const MAX_PINS = 50
