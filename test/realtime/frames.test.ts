// The server's frame builders produce frames their schemas accept, and the room channel's
// payloads survive encoding and decoding (and a garbled one is refused, not misread).
import t from 'tap'
import { Compile } from 'typebox/compile'
import { roomChannel } from '../../src/realtime/room-channel.ts'
import {
  ackFrame,
  errorFrame,
  joinedFrame,
  messageFrame,
  PONG,
  presenceFrame,
  readFrame,
  removedFrame,
  roomFrame,
  typingFrame,
} from '../../src/realtime/server-frames.ts'
import { ServerFrame } from '../../src/schemas/frames.ts'

const check = Compile(ServerFrame)
const id = 'a'.repeat(24)

t.test('every builder makes a frame the schema accepts', async (t) => {
  const room = {
    id,
    name: 'Room',
    description: '',
    creator: { id, username: 'ann', displayName: 'Ann' },
    memberCount: 1,
    maxMembers: 10,
    lastSeq: 0,
    createdAt: new Date().toISOString(),
    kind: 'room' as const,
  }
  const frames = [
    joinedFrame(id, 3, [id]),
    ackFrame('c-1', id, 4, new Date()),
    presenceFrame(id, [id]),
    typingFrame(id, id),
    roomFrame(room),
    removedFrame(id, 'left'),
    removedFrame(id, 'deleted'),
    removedFrame(id, 'kicked'),
    readFrame(id, 7),
    errorFrame('BAD_FRAME', 'not JSON'),
    errorFrame('NOT_MEMBER', 'Join the room first', id),
    PONG,
  ]
  const message = {
    id,
    roomId: id,
    seq: 3,
    kind: 'text' as const,
    from: { id, username: 'ann', displayName: 'Ann' },
    text: 'hello @bob',
    file: null,
    clientMsgId: 'c-1',
    createdAt: new Date(),
    editedAt: new Date(),
    mentions: [id],
    replyTo: { seq: 1, from: null, text: 'hi' },
    reactions: [{ emoji: '👍', users: [id, id] }],
  }
  frames.push(messageFrame(message))
  const update = messageFrame({
    ...message,
    seq: 9,
    kind: 'update',
    text: JSON.stringify({ kind: 'react', emoji: '👍' }),
    target: 3,
    current: message,
  })
  frames.push(update)
  t.match(JSON.parse(update), {
    type: 'update',
    room: id,
    seq: 9,
    message: { seq: 3, reactions: [{ emoji: '👍', count: 2, mine: false }] },
    change: { kind: 'react', emoji: '👍', by: id },
  })
  for (const f of frames) t.ok(check.Check(JSON.parse(f)), f)
  t.same(
    JSON.parse(errorFrame('BAD_FRAME', 'y')),
    { type: 'error', code: 'BAD_FRAME', message: 'y' },
    'no ref key without a ref',
  )
})

t.test('room channel payloads round-trip; garbage is refused', async (t) => {
  const ch = roomChannel(id)
  t.equal(ch.name, `room:${id}`)
  const frame = '{"type":"message","message":{"text":"a\\nb"}}'
  t.same(ch.decode(ch.encode({ kind: 'message', seq: 42, frame })), { kind: 'message', seq: 42, frame })
  t.same(ch.decode(ch.encode({ kind: 'event', event: { k: 'left', user: id } })), {
    kind: 'event',
    event: { k: 'left', user: id },
  })
  t.throws(() => ch.decode('x'))
  t.throws(() => ch.decode('mNaN\n{}'))
  t.throws(() => ch.decode('m12'))
})

t.test(
  'a message carries its createdAt on the bus; the header of the version before still reads',
  async (t) => {
    const ch = roomChannel(id)
    const frame = '{"type":"message","message":{"seq":7,"createdAt":"2026-12-06T10:00:00.000Z"}}'
    const createdAt = Date.parse('2026-12-06T10:00:00.000Z')
    const wire = ch.encode({ kind: 'message', seq: 7, frame, createdAt })
    t.equal(wire, `m7,${createdAt}\n${frame}`, 'seq and createdAt in the header, the frame as is')
    t.same(ch.decode(wire), { kind: 'message', seq: 7, frame, createdAt })
    // A message published by an instance of the version before: delivered, not timed.
    t.same(ch.decode(`m7\n${frame}`), { kind: 'message', seq: 7, frame })
    for (const bad of ['m7,\n{}', 'm7,x\n{}', 'm,5\n{}', 'm7,5,6\n{}', 'm-1,5\n{}', 'm7 ,5\n{}']) {
      t.throws(() => ch.decode(bad), `${JSON.stringify(bad)} is refused`)
    }
  },
)
