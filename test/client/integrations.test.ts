// ChatHttp's integration routes against the real server: create (the secret not in the
// answer), list, read back per room, delete; a private URL refused with its code; delivery to a
// receiver on loopback, signed.
import t from 'tap'
import { sharedEnv } from '../helpers/app.ts'
import { Receiver } from '../helpers/receiver.ts'
import { until } from '../helpers/wait.ts'
import { admin, backendName, room, startServer, user } from './fixtures/setup.ts'

const SECRET = 'client-integration-secret-0123'

t.test(`integrations through ChatHttp on ${backendName}`, async (t) => {
  const refusing = await startServer(t)
  const root = await admin(refusing)
  const lobby = await room(refusing, [])
  const refused = await root.http
    .createIntegration({ url: 'http://127.0.0.1:9/', secret: SECRET, rooms: [lobby], events: ['message'] })
    .catch((e: unknown) => e)
  t.match(refused, { status: 400, code: 'VALIDATION' })
  const alice = await user(refusing)
  t.match(await alice.http.integrations().catch((e: unknown) => e), { status: 403, code: 'FORBIDDEN' })

  const server = await startServer(t, sharedEnv(t, { INTEGRATIONS_ALLOW_PRIVATE: 'true' }))
  const admin2 = await admin(server)
  const receiver = new Receiver(SECRET)
  const url = await receiver.start(t)
  const id = await room(server, [])
  const made = await admin2.http.createIntegration({ url, secret: SECRET, rooms: [id], events: ['message'] })
  t.match(made, { url, rooms: [id], events: ['message'] })
  t.notOk(JSON.stringify(made).includes(SECRET))
  t.same(await admin2.http.integrations(), [made])
  await admin2.http.sendMessage(id, 'to the receiver')
  await until(() => receiver.seqs(id).length === 1, 'the delivery')
  t.equal(receiver.badSignatures, 0)
  await until(async () => (await admin2.http.integration(made.id)).rooms[0]?.deliveredSeq === 1, 'the cursor')
  t.match(await admin2.http.integration(made.id), { integration: made, rooms: [{ room: id, lastSeq: 1 }] })
  await admin2.http.deleteIntegration(made.id)
  t.same(await admin2.http.integrations(), [])
})
