import t from 'tap'
import { call, loginAdmin } from '../helpers/api.ts'
import { backendName, buildTestApp, sharedEnv } from '../helpers/app.ts'
import { sleep } from '../helpers/wait.ts'
import { connect, listen } from '../helpers/ws.ts'

const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(series))
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
}

t.test(`/metrics on ${backendName}`, async (t) => {
  const app = await buildTestApp(t, sharedEnv(t, { METRICS_TOKEN: 'metrics-token-0123456789' }))
  const url = await listen(app)
  const admin = await loginAdmin(app)
  await call(app, 'GET', '/api/me', { as: admin })
  await call(app, 'GET', '/api/nowhere', { as: admin })
  const room = (await call(app, 'POST', '/api/rooms', { as: admin, body: { name: 'Metered' } })).body.room
  const s = await connect(url, { token: admin.token })
  t.teardown(() => s.close())
  s.send({ type: 'join', room: room.id })
  await s.next((f) => f.type === 'joined')
  s.send({ type: 'send', room: room.id, clientMsgId: 'm1', text: 'counted' })
  await s.next((f) => f.type === 'message')

  t.equal((await call(app, 'GET', '/metrics')).status, 401, 'the token is required when set')
  const scrape = () =>
    app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: 'Bearer metrics-token-0123456789' },
    })
  const res = await scrape()
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /text\/plain/)
  // The publish's timer stops when Redis answers the publisher, which can come after the
  // subscriber's connection has already delivered the message: wait for that answer.
  let text = res.body
  for (let i = 0; i < 50 && value(text, 'bus_publish_seconds_count') !== 1; i++) {
    await sleep(100)
    text = (await scrape()).body
  }
  t.equal(value(text, 'http_requests_total{method="GET",route="/api/me",status="200"}'), 1)
  t.equal(value(text, 'http_requests_total{method="GET",route="unmatched",status="404"}'), 1)
  t.equal(value(text, 'ws_sockets_open'), 1)
  t.ok(value(text, 'ws_frames_in_total')! >= 2)
  t.ok(value(text, 'ws_frames_out_total')! >= 3)
  t.equal(value(text, 'chat_messages_delivered_total'), 1)
  t.equal(value(text, 'chat_send_to_deliver_seconds_count'), 1)
  t.equal(value(text, 'bus_publish_seconds_count'), 1)
  t.equal(value(text, 'bus_receive_lag_seconds_count'), 1)
  t.equal(value(text, 'store_operation_seconds_count{repo="messages",op="appendMany"}'), 1)
  t.ok(value(text, 'process_resident_memory_bytes')! > 0, 'default process metrics')

  // Request counts are plain numbers the counter reads when scraped: each scrape adds what is new.
  await call(app, 'GET', '/api/me', { as: admin })
  await call(app, 'GET', '/api/me', { as: admin })
  const again = (await scrape()).body
  t.equal(value(again, 'http_requests_total{method="GET",route="/api/me",status="200"}'), 3)
  t.equal(value(again, 'http_requests_total{method="GET",route="unmatched",status="404"}'), 1)
  t.equal(value(again, 'http_request_duration_seconds_count{method="GET",route="/api/me"}'), 3)
})
