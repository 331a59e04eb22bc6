// The AsyncAPI 3 document of `/ws`, generated from the frame schemas that the gateway validates
// with (src/schemas/frames.ts), the error list and the close codes: what a client generator or
// a reader needs, served at /asyncapi.json. Operations are the server's view: it `receive`s the
// client's frames and `send`s its own.

import type { TSchema } from 'typebox'
import { ERROR_CODES, type ErrorCode } from '../../schemas/error-codes.ts'
import {
  AckFrame,
  CLOSE_CODES,
  ErrorFrame,
  JoinedFrame,
  JoinFrame,
  LeaveFrame,
  MessageFrame,
  PinFrame,
  PingFrame,
  PongFrame,
  PresenceFrame,
  RemovedFrame,
  RoomFrame,
  SendFrame,
  TypingFrame,
  TypingNotice,
} from '../../schemas/frames.ts'
import { nameComponents } from './components.ts'

interface FrameDoc {
  /** The schema's name in the document. */
  name: string
  schema: TSchema
  /** The frame's `type`. */
  type: string
  summary: string
  /** The frame the server answers with, if any. */
  reply?: string
}

const CLIENT_FRAMES: FrameDoc[] = [
  {
    name: 'JoinFrame',
    schema: JoinFrame,
    type: 'join',
    summary:
      "Start live delivery of a room the user is a member of. With `since`, every message after that seq comes first, in order; then `joined`; then live messages: no gap, no repeat. A replay past WS_REPLAY_MAX_EVENTS events (or past the socket's replay budget, WS_REPLAY_EVENTS_PER_MINUTE) is not sent: `joined` then carries `skipped` {after, through}, and the client pages that part through GET /api/rooms/{id}/messages?after=. Not a member: `error` NOT_MEMBER with `ref` = the room. A second join of the room before the first's `joined`: `error` JOIN_IN_PROGRESS.",
    reply: 'joined',
  },
  {
    name: 'LeaveFrame',
    schema: LeaveFrame,
    type: 'leave',
    summary: 'Stop live delivery of a room; membership is unchanged.',
  },
  {
    name: 'SendFrame',
    schema: SendFrame,
    type: 'send',
    summary:
      'Send a message (1..4000 code points). Answered by `ack` once stored; a repeated clientMsgId returns the first ack and stores nothing. Refused: `error` with `ref` = the clientMsgId.',
    reply: 'ack',
  },
  {
    name: 'TypingFrame',
    schema: TypingFrame,
    type: 'typing',
    summary:
      'The user is typing (relayed at most once per 2 s; dropped, unanswered, for a room this socket does not follow).',
  },
  {
    name: 'PingFrame',
    schema: PingFrame,
    type: 'ping',
    summary: 'Keepalive from the client.',
    reply: 'pong',
  },
]

const SERVER_FRAMES: FrameDoc[] = [
  {
    name: 'JoinedFrame',
    schema: JoinedFrame,
    type: 'joined',
    summary:
      'The answer to `join`: the seq it is live from and who is online; `skipped` when the replay was over its bound and not sent (page `(after, through]` through history).',
  },
  { name: 'AckFrame', schema: AckFrame, type: 'ack', summary: 'A `send` was stored, with its id and seq.' },
  {
    name: 'MessageFrame',
    schema: MessageFrame,
    type: 'message',
    summary:
      "A room's next message, to every follower on every instance (the sender's sockets too), in seq order.",
  },
  {
    name: 'PinFrame',
    schema: PinFrame,
    type: 'pin',
    summary:
      "A message was pinned or unpinned: an event of the room's stream with its own seq, to every follower on every instance, replayed by `join {since}`.",
  },
  {
    name: 'PresenceFrame',
    schema: PresenceFrame,
    type: 'presence',
    summary: 'Who is online in a room changed.',
  },
  {
    name: 'TypingNotice',
    schema: TypingNotice,
    type: 'typing',
    summary: 'Someone following the room is typing.',
  },
  {
    name: 'RoomFrame',
    schema: RoomFrame,
    type: 'room',
    summary: "A room's details or member count changed.",
  },
  {
    name: 'RemovedFrame',
    schema: RemovedFrame,
    type: 'removed',
    summary:
      'Live delivery of a room ended without the client asking: it left on another tab, or the room was deleted.',
  },
  {
    name: 'ErrorFrame',
    schema: ErrorFrame,
    type: 'error',
    summary:
      'A frame was refused; `ref` echoes the clientMsgId or the room it concerns. `code` is from the error list.',
  },
  { name: 'PongFrame', schema: PongFrame, type: 'pong', summary: 'The answer to `ping`.' },
]

const messageKey = (side: 'client' | 'server', type: string) => `${side}.${type}`

/** JSON Schema as plain data (TypeBox schemas may carry non-JSON members). */
const plain = (schema: unknown) => JSON.parse(JSON.stringify(schema)) as Record<string, unknown>

function closeCodesTable(): string {
  const rows = Object.entries(CLOSE_CODES).map(
    ([code, c]) => `| ${code} | ${c.name} | ${c.meaning} | ${c.reconnect ? 'yes, with backoff' : 'no'} |`,
  )
  return ['| close code | name | meaning | reconnect |', '|---|---|---|---|', ...rows].join('\n')
}

export interface AsyncApiOptions {
  version: string
  /** host[:port] clients connect to, for the `servers` entry. */
  host: string
  secure: boolean
}

export function buildAsyncApi(options: AsyncApiOptions): Record<string, unknown> {
  const schemas: Record<string, unknown> = {}
  const messages: Record<string, unknown> = {}
  const channelMessages: Record<string, unknown> = {}
  const operations: Record<string, unknown> = {}
  const channelRef = { $ref: '#/channels/socket' }
  const side = (list: FrameDoc[], who: 'client' | 'server') => {
    for (const frame of list) {
      const key = messageKey(who, frame.type)
      schemas[frame.name] = plain(frame.schema)
      messages[key] = {
        name: frame.type,
        title: `${frame.type} (${who} → ${who === 'client' ? 'server' : 'client'})`,
        summary: frame.summary,
        contentType: 'application/json',
        payload: { $ref: `#/components/schemas/${frame.name}` },
      }
      channelMessages[key] = { $ref: `#/components/messages/${key}` }
    }
  }
  side(CLIENT_FRAMES, 'client')
  side(SERVER_FRAMES, 'server')
  for (const frame of CLIENT_FRAMES) {
    operations[frame.type] = {
      action: 'receive',
      channel: channelRef,
      title: `Client sends ${frame.type}`,
      summary: frame.summary,
      messages: [{ $ref: `#/channels/socket/messages/${messageKey('client', frame.type)}` }],
      ...(frame.reply
        ? {
            reply: {
              channel: channelRef,
              messages: [{ $ref: `#/channels/socket/messages/${messageKey('server', frame.reply)}` }],
            },
          }
        : {}),
    }
  }
  for (const frame of SERVER_FRAMES) {
    if (frame.type === 'joined' || frame.type === 'ack' || frame.type === 'pong') continue // replies above
    operations[`on${frame.type[0]!.toUpperCase()}${frame.type.slice(1)}`] = {
      action: 'send',
      channel: channelRef,
      title: `Server sends ${frame.type}`,
      summary: frame.summary,
      messages: [{ $ref: `#/channels/socket/messages/${messageKey('server', frame.type)}` }],
    }
  }
  const named: Record<string, unknown> = {}
  const frameSchemas = nameComponents(schemas, named, '#/components/schemas/') as Record<string, unknown>
  const codes = Object.keys(ERROR_CODES) as ErrorCode[]
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Roomchat WebSocket protocol',
      version: options.version,
      description: [
        'One JSON object per text frame, each with a `type`. Authenticated at the upgrade by the `token` cookie (same site), `Authorization: Bearer` (native clients that can set headers) or `?ticket=` from `POST /api/auth/ws-ticket` (single use, 30 s; browsers on another site). Refused before the upgrade with HTTP 401 (no valid session: do not retry, sign in), 403 (the Origin is not in PUBLIC_ORIGINS) or 503 (the instance drains: retry).',
        'Bad frames get `error` with `code: BAD_FRAME`, not a closed connection. After a drop, reconnect with backoff and `join` each room again with `since` = the last seq shown: the replay has no gap and no repeat.',
        closeCodesTable(),
      ].join('\n\n'),
    },
    defaultContentType: 'application/json',
    servers: {
      api: {
        host: options.host,
        protocol: options.secure ? 'wss' : 'ws',
        description: 'The API host itself: the socket is at /ws beside /api.',
        security: [
          { $ref: '#/components/securitySchemes/cookie' },
          { $ref: '#/components/securitySchemes/bearer' },
          { $ref: '#/components/securitySchemes/ticket' },
        ],
      },
    },
    channels: {
      socket: {
        address: '/ws',
        title: 'The chat socket',
        description: 'Every frame of the protocol travels on the one socket.',
        messages: channelMessages,
        bindings: {
          ws: {
            method: 'GET',
            query: {
              type: 'object',
              properties: {
                ticket: {
                  type: 'string',
                  description: 'A ticket from POST /api/auth/ws-ticket (cross-site browsers)',
                },
              },
            },
          },
        },
      },
    },
    operations,
    components: {
      schemas: {
        ...frameSchemas,
        ...named,
        ErrorCode: {
          type: 'string',
          enum: codes,
          description: codes.map((code) => `${code}: ${ERROR_CODES[code].meaning}`).join('\n'),
        },
        CloseCode: {
          type: 'integer',
          enum: Object.keys(CLOSE_CODES).map(Number),
          description: Object.entries(CLOSE_CODES)
            .map(([code, c]) => `${code} ${c.name}: ${c.meaning}`)
            .join('\n'),
        },
      },
      messages,
      securitySchemes: {
        cookie: {
          type: 'httpApiKey',
          in: 'cookie',
          name: 'token',
          description: 'The httpOnly cookie login sets',
        },
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'The token login returns',
        },
        ticket: {
          type: 'httpApiKey',
          in: 'query',
          name: 'ticket',
          description: 'Single use, 30 s, from POST /api/auth/ws-ticket',
        },
      },
    },
  }
}
