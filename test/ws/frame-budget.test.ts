// The frame budget (WS_FRAMES_PER_SECOND, bursts of twice that) counts frames by when they
// reached the instance, not by when it got round to reading them: a client pacing itself under
// the rate is not closed because the server was held up and then read its frames in one batch,
// and one that flooded meanwhile still is. The instance is a server process held with SIGSTOP.
import t from 'tap'
import { ADMIN, sharedEnv } from '../helpers/app.ts'
import { expectHttp } from '../helpers/http-caller.ts'
import { ServerProcess } from '../helpers/instance.ts'
import { freePort } from '../helpers/ports.ts'
import { sleep } from '../helpers/wait.ts'
import { connect } from '../helpers/ws.ts'

t.test('frames read in one batch after a hold count as they arrived', async (t) => {
  const server = new ServerProcess('server', await freePort(), {
    ...sharedEnv(t).env,
    WS_FRAMES_PER_SECOND: '20',
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
  })
  t.teardown(() => server.kill('SIGKILL'))
  await server.ready()
  const admin = await expectHttp(200, server.base, 'POST', '/api/auth/login', { body: ADMIN })
  const steady = await connect(server.wsUrl, { token: admin.token })
  const flood = await connect(server.wsUrl, { token: admin.token })
  t.teardown(() => {
    steady.close()
    flood.close()
  })

  let sent = 0
  let pacing = true
  // 18 frames a second, under the budget of 20, for the whole test.
  const paced = (async () => {
    while (pacing) {
      steady.send({ type: 'ping' })
      sent++
      await sleep(55)
    }
  })()
  await steady.collect('pong', 10)
  server.pause()
  t.teardown(() => server.resume())
  const before = sent
  // Three seconds held: about 54 paced frames queue up, past the burst of 40 read at once.
  await sleep(3000)
  for (let i = 0; i < 200; i++) flood.send({ type: 'ping' })
  t.ok(sent - before >= 45, `${sent - before} paced frames sent while the instance was held`)
  server.resume()
  await sleep(600) // a few more paced frames once it runs again
  pacing = false
  await paced
  const pongs = await steady.collect('pong', sent, 15_000)
  t.equal(pongs.length, sent, 'every paced frame answered')
  t.equal(steady.closed, null, 'the paced socket stays open')
  t.equal((await flood.waitClosed(10_000)).code, 1008, 'the one that flooded meanwhile is closed')
})
