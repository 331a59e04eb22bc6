// A resume past the server's replay bound (WS_REPLAY_MAX_EVENTS): the server replays nothing and
// its `joined` says `skipped`; ChatSocket, given ChatHttp's socketOptions(), reads that part
// from history and delivers every message once, in seq order (edited ones as they are now),
// then the live ones. On one instance, and across two over MongoDB + Redis.

import type { ChatSocket, JoinedFrame } from '@roomchat/client'
import t, { type Test } from 'tap'
import type WebSocket from 'ws'
import {
  backendName,
  deadUrl,
  inbox,
  room as makeRoom,
  mongoUrl,
  needServer,
  range,
  redisUrl,
  relaxed,
  type Server,
  seqs,
  sharedEnv,
  socket,
  startServer,
  type TestUser,
  until,
  user,
  within,
} from './fixtures/setup.ts'

const BOUND = { ...relaxed, WS_REPLAY_MAX_EVENTS: '20' }
const terminate = (client: ChatSocket) => (client.raw as unknown as WebSocket | null)?.terminate()

/**
 * A follows the room through `first`, drops and stays away while B sends `missed` messages and
 * edits one of them through `second`, then comes back on `second`.
 */
async function resumePastTheBound(t: Test, first: Server, second: Server) {
  const alice = await user(first)
  const bob: TestUser = await user(second)
  const roomId = await makeRoom(first, [alice, bob])
  const dead = await deadUrl()
  let away = false
  let joins = 0
  const a = socket(t, {
    ...alice.http.socketOptions(),
    url: () => (away ? dead : joins === 0 ? first.wsUrl : second.wsUrl),
  })
  const answers: JoinedFrame[] = []
  a.on('joined', (f) => {
    joins++
    answers.push(f)
  })
  const got = inbox(a)
  await within(a.connect(), 'connect')
  await a.join(roomId)
  for (let i = 1; i <= 3; i++) await bob.http.sendMessage(roomId, `before ${i}`)
  await until(() => seqs(got.get(roomId)).length === 3, 'the first three live')

  away = true
  terminate(a)
  await until(() => a.state !== 'open', 'A dropped')
  const missed = 60
  for (let i = 4; i <= 3 + missed; i++) await bob.http.sendMessage(roomId, `missed ${i}`)
  await bob.http.editMessage(roomId, 10, 'missed 10, edited')
  away = false
  const total = 3 + missed
  await until(() => seqs(got.get(roomId)).length >= total, `A's ${total} messages`, 20_000)
  t.same(seqs(got.get(roomId)), range(total), 'every message once, in order')
  t.equal(got.get(roomId)![9]!.text, 'missed 10, edited', 'an edit in the skipped part shows in its message')
  const resumed = answers.at(-1)!
  t.same(
    resumed.skipped,
    { after: 3, through: total + 1 },
    'the server skipped the replay (messages and the edit)',
  )
  await bob.http.sendMessage(roomId, 'live again')
  await until(() => seqs(got.get(roomId)).length === total + 1, 'the next one live')
  t.equal(
    got.get(roomId)!.at(-1)!.seq,
    total + 2,
    'live after the skipped part, the edit seq not delivered as a message',
  )
}

t.test(`a resume past the replay bound on ${backendName}`, async (t) => {
  const server = await startServer(t, sharedEnv(t, BOUND))
  await resumePastTheBound(t, server, server)
})

t.test('a resume past the replay bound on another instance (MongoDB + Redis)', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl) || !needServer(t, 'Redis', redisUrl)) return
  const shared = sharedEnv(t, BOUND, { scaled: true })
  await resumePastTheBound(t, await startServer(t, shared), await startServer(t, shared))
})
