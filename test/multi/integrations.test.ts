// Outgoing integrations across two server processes over MongoDB-wire + Redis: one instance
// delivers (it holds the lease); SIGKILLed mid-stream, its lease runs out (2 s here) and the
// survivor takes it over and goes on from the cursors in the store. The receiver on loopback
// checks every signature: per room, nothing skipped and the order kept (repeats allowed: at
// least once).
import t from 'tap'
import { METRICS_TOKEN, startCluster } from '../helpers/cluster.ts'
import { expectHttp, http } from '../helpers/http-caller.ts'
import type { ServerProcess } from '../helpers/instance.ts'
import { Receiver } from '../helpers/receiver.ts'
import { mongoUrl, needServer, redisUrl } from '../helpers/servers.ts'
import { until } from '../helpers/wait.ts'

const SECRET = 'integration-secret-0123456789'
const ROOMS = 3
const PER_ROOM = 80

/** Whether the instance delivers the integration (holds its lease), from its /metrics. */
const delivers = async (s: ServerProcess) =>
  /^integration_leases_held 1$/m.test(
    String((await http(s.base, 'GET', '/metrics', { token: METRICS_TOKEN })).body),
  )

t.test('the delivering instance SIGKILLed mid-stream: the survivor takes over from the cursor', async (t) => {
  if (!needServer(t, 'MongoDB', mongoUrl) || !needServer(t, 'Redis', redisUrl)) return
  const receiver = new Receiver(SECRET)
  const url = await receiver.start(t)
  const { servers, outputs } = await startCluster(
    t,
    'integrations',
    redisUrl,
    {
      INTEGRATIONS_ALLOW_PRIVATE: 'true',
      INTEGRATIONS_LEASE_SECONDS: '2',
      INTEGRATIONS_RETRY_MIN_MS: '20',
      INTEGRATIONS_RETRY_MAX_SECONDS: '1',
    },
    2,
  )
  const [a, b] = servers as [ServerProcess, ServerProcess]
  const token = (
    await expectHttp(200, a.base, 'POST', '/api/auth/login', {
      body: { username: 'admin', password: 'admin-password-1' },
    })
  ).token
  const rooms: string[] = []
  for (let i = 0; i < ROOMS; i++)
    rooms.push(
      (await expectHttp(201, a.base, 'POST', '/api/rooms', { token, body: { name: `hooked ${i}` } })).room.id,
    )
  const id = (
    await expectHttp(201, a.base, 'POST', '/api/admin/integrations', {
      token,
      body: { url, secret: SECRET, rooms, events: ['message'] },
    })
  ).integration.id
  let doomed: ServerProcess | null = null
  await until(
    async () => {
      for (const s of [a, b]) if (await delivers(s)) doomed = s
      return doomed !== null
    },
    () => `an instance delivering; ${outputs()}`,
  )
  const survivor = doomed === a ? b : a
  t.notOk(await delivers(survivor), 'one instance delivers')

  // The survivor takes the messages, the doomed one delivers them, until it is killed mid-stream.
  const total = () => rooms.reduce((sum, r) => sum + receiver.distinct(r).size, 0)
  const sending = (async () => {
    for (let i = 0; i < PER_ROOM; i++)
      for (const room of rooms)
        await expectHttp(201, survivor.base, 'POST', `/api/rooms/${room}/messages`, {
          token,
          body: { text: `m${i}`, clientMsgId: `k${room}${i}` },
        })
  })()
  await until(
    () => total() >= 40,
    () => `deliveries before the kill; ${outputs()}`,
    20_000,
  )
  await doomed!.kill('SIGKILL')
  const killedAt = total()
  t.ok(killedAt < ROOMS * PER_ROOM, `killed mid-stream (${killedAt} of ${ROOMS * PER_ROOM} delivered)`)
  await sending
  await until(
    () => total() === ROOMS * PER_ROOM,
    () => `every event (${rooms.map((r) => receiver.distinct(r).size)}); ${outputs()}`,
    30_000,
  )
  t.ok(await delivers(survivor), 'the survivor holds the lease')
  const expected = Array.from({ length: PER_ROOM }, (_, i) => i + 1)
  for (const room of rooms) t.ok(receiver.inOrder(room, expected), `room ${room}: in order, nothing skipped`)
  t.equal(receiver.badSignatures, 0)
  const detail = await expectHttp(200, survivor.base, 'GET', `/api/admin/integrations/${id}`, { token })
  await until(async () => {
    const d = await expectHttp(200, survivor.base, 'GET', `/api/admin/integrations/${id}`, { token })
    return d.rooms.every((r: { deliveredSeq: number }) => r.deliveredSeq === PER_ROOM)
  }, 'every cursor at the end')
  t.equal(detail.rooms.length, ROOMS)
  t.comment(
    `repeats after the takeover: ${rooms.reduce((s, r) => s + receiver.seqs(r).length, 0) - ROOMS * PER_ROOM}`,
  )
})
