// The gateway builds its frames by hand and writes them to the TCP socket under ws
// (plugins/ws-transport.ts): each must be exactly the frame ws itself sends for the same text, at
// every length encoding, arrive whole and in order with ws's own frames, and stop at the close.

import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import t from 'tap'
import { WebSocket, WebSocketServer } from 'ws'
import { textFrame, WsTransport } from '../../plugins/ws-transport.ts'
import { SharedFrame } from '../../src/realtime/shared-frame.ts'
import { until } from '../helpers/wait.ts'

// ws's own framer: public in ws, absent from its type definitions.
const { Sender } = createRequire(import.meta.url)('ws') as {
  Sender: { frame(data: Buffer, options: object): Buffer[] }
}
const wsFrame = (text: string) =>
  Buffer.concat(
    Sender.frame(Buffer.from(text), { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: false }),
  )

t.test('the same bytes as ws for every length encoding', async (t) => {
  // 7-bit lengths up to 125, 16-bit up to 65,535, 64-bit past it; and multi-byte UTF-8.
  for (const n of [0, 1, 125, 126, 127, 1000, 65_535, 65_536, 200_000]) {
    const text = 'x'.repeat(n)
    t.same(textFrame(text), wsFrame(text), `${n} bytes`)
  }
  const accents = 'é😀'.repeat(40) // 40 * 6 = 240 bytes from 120 UTF-16 units
  t.same(textFrame(accents), wsFrame(accents), 'the length counts UTF-8 bytes')
  t.equal(textFrame(accents).length, 4 + 240)
})

t.test('over real sockets: frames arrive whole and in order, a shared frame is encoded once', async (t) => {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
  await new Promise((resolve) => server.once('listening', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const transports: WsTransport[] = []
  const sockets: WebSocket[] = []
  const streams: Duplex[] = []
  server.on('connection', (ws, request) => {
    sockets.push(ws)
    streams.push(request.socket)
    transports.push(new WsTransport(ws, request.socket))
  })
  const port = (server.address() as AddressInfo).port
  const clients = await Promise.all(
    [0, 1].map(
      () =>
        new Promise<{ ws: WebSocket; got: string[] }>((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}`)
          const got: string[] = []
          ws.on('message', (data, isBinary) => got.push(`${isBinary ? 'binary' : 'text'}:${data}`))
          ws.on('open', () => resolve({ ws, got }))
          ws.on('error', reject)
        }),
    ),
  )
  await until(() => transports.length === 2, 'both sockets accepted')
  const shared = new SharedFrame(JSON.stringify({ type: 'message', text: 'é'.repeat(100) }))
  for (const [i, tr] of transports.entries()) {
    tr.send(`{"one":${i}}`)
    tr.write(shared)
    const wire = shared.wire
    tr.write(new SharedFrame(`{"big":"${'x'.repeat(70_000)}"}`))
    t.equal(shared.wire, wire, 'the shared frame is encoded by the first socket only')
  }
  sockets[0]!.ping() // one of ws's own frames between ours
  transports[0]!.send('{"after":"ping"}')
  await until(() => clients.every((c) => c.got.length >= 3) && clients[0]!.got.length === 4, 'every frame')
  for (const [i, c] of clients.entries()) {
    t.same(c.got.slice(0, 2), [`text:{"one":${i}}`, `text:${shared.text}`], `client ${i}: in order, as text`)
    t.equal(
      c.got[2]!.length,
      'text:'.length + 70_000 + '{"big":""}'.length,
      'a 64-bit length frame arrives whole',
    )
  }
  t.same(clients[0]!.got[3], 'text:{"after":"ping"}')

  // bufferedAmount is what the socket holds unsent (the gateway's slow-consumer rule reads it):
  // nothing once the frames are through, the frames' bytes while the peer reads nothing, and
  // nothing again once it reads.
  const slow = transports[0]!
  await until(() => slow.bufferedAmount() === 0, 'the written frames flushed')
  t.equal(slow.bufferedAmount(), 0, 'nothing held once every frame went')
  clients[0]!.ws.pause()
  const piece = `{"fill":"${'y'.repeat(256 * 1024)}"}`
  let written = 0
  // The kernel's buffers take some: write until the socket itself holds some.
  while (slow.bufferedAmount() === 0 && written < 64) {
    slow.write(new SharedFrame(piece))
    written++
    await new Promise((r) => setImmediate(r))
  }
  const held = slow.bufferedAmount()
  t.ok(held > 0, `${held} bytes held while the peer reads nothing (after ${written} frames)`)
  t.equal(held, streams[0]!.writableLength, 'the stream’s own count')
  t.ok(held <= written * textFrame(piece).length, 'no more than was written')
  clients[0]!.ws.resume()
  await until(() => clients[0]!.got.length === 4 + written, 'the held frames read')
  await until(() => slow.bufferedAmount() === 0, 'the socket drained')
  t.equal(slow.bufferedAmount(), 0, 'nothing held once the peer read them')

  // Once ws began closing, nothing more is written: the peer sees the close, no frame after it.
  const closed = new Promise<number>((resolve) => clients[1]!.ws.on('close', (code) => resolve(code)))
  sockets[1]!.close(4000, 'bye')
  const stream = streams[1]!
  const write = stream.write.bind(stream)
  let late = 0
  stream.write = ((...args: Parameters<typeof write>) => {
    late++
    return write(...args)
  }) as typeof stream.write
  transports[1]!.send('{"late":true}')
  transports[1]!.write(new SharedFrame('{"late":true}'))
  t.equal(late, 0, 'nothing written once ws began closing')
  t.equal(await closed, 4000)
  t.equal(clients[1]!.got.length, 3)
  clients[0]!.ws.close()
})
