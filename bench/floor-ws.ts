// The floor of WebSocket fan-out: a bare `ws` broadcaster speaking just enough of the protocol
// for bench/ws-fanout.ts (`join`, `send`; `joined`, `ack`, `message`), with no auth, no store and
// no bus. It parses each frame, stringifies each message once and `ws.send`s it to the room's
// sockets: what any server must at least do for the same workload. Started by the benches as a
// child process so its CPU is measured from /proc like an instance's.
//
//   node --import tsx bench/floor-ws.ts --port 0    (prints `listening PORT` on stdout)
import { randomBytes } from 'node:crypto'
import { type WebSocket, WebSocketServer } from 'ws'

const portArg = process.argv.indexOf('--port')
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0

interface FloorRoom {
  seq: number
  sockets: Set<WebSocket>
}
const rooms = new Map<string, FloorRoom>()
const room = (id: string): FloorRoom => {
  let r = rooms.get(id)
  if (!r) {
    r = { seq: 0, sockets: new Set() }
    rooms.set(id, r)
  }
  return r
}
const from = { id: randomBytes(12).toString('hex'), username: 'floor', displayName: 'floor' }

const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false })
wss.on('connection', (ws) => {
  const joined = new Set<string>()
  ws.on('message', (data) => {
    let f: { type?: string; room?: string; clientMsgId?: string; text?: string }
    try {
      f = JSON.parse(data.toString())
    } catch {
      return
    }
    if (typeof f.room !== 'string') return
    if (f.type === 'join') {
      const r = room(f.room)
      r.sockets.add(ws)
      joined.add(f.room)
      ws.send(JSON.stringify({ type: 'joined', room: f.room, lastSeq: r.seq, online: [] }))
    } else if (f.type === 'send') {
      const r = room(f.room)
      const seq = ++r.seq
      const createdAt = new Date().toISOString()
      const id = randomBytes(12).toString('hex')
      ws.send(JSON.stringify({ type: 'ack', clientMsgId: f.clientMsgId, id, seq, createdAt }))
      const frame = JSON.stringify({
        type: 'message',
        message: {
          id,
          room: f.room,
          seq,
          kind: 'text',
          from,
          text: f.text,
          clientMsgId: f.clientMsgId,
          createdAt,
        },
      })
      for (const s of r.sockets) s.send(frame)
    }
  })
  ws.on('close', () => {
    for (const id of joined) rooms.get(id)?.sockets.delete(ws)
  })
})
wss.on('listening', () => {
  const address = wss.address()
  console.log(`listening ${typeof address === 'object' && address ? address.port : address}`)
})
process.on('SIGTERM', () => process.exit(0))
