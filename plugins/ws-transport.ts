// A ClientSocket's SocketTransport (src/realtime/client-socket.ts) over a `ws` WebSocket.
//
// Frames are built here, whole (header and payload in one buffer), and written to the
// upgraded TCP socket in one write each: a room's message is framed once for every socket
// that gets it (SharedFrame), a frame for one socket once for it. ws would build a header and
// write two parts per socket. This is safe because ws too writes each of its frames (pings,
// the close) whole, at once, when asked (without compression, which the gateway keeps off): a
// direct write can neither overtake nor split one of ws's frames, and frames are dropped once
// ws began closing, as `ws.send` would drop them.
import type { Duplex } from 'node:stream'
import { WebSocket } from 'ws'
import type { SocketTransport } from '../src/realtime/client-socket.ts'
import type { SharedFrame } from '../src/realtime/shared-frame.ts'

export class WsTransport implements SocketTransport {
  constructor(
    private readonly ws: WebSocket,
    /** The upgraded connection ws reads and writes. */
    private readonly stream: Duplex,
  ) {}

  send(text: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.stream.write(textFrame(text))
  }

  write(frame: SharedFrame): void {
    if (this.ws.readyState !== WebSocket.OPEN) return
    frame.wire ??= textFrame(frame.text)
    this.stream.write(frame.wire)
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason)
  }

  bufferedAmount(): number {
    return this.stream.writableLength
  }
}

/**
 * A whole WebSocket text frame as a server sends it (RFC 6455 §5.2): final, unmasked, the
 * payload's length in 7, 16 or 64 bits, then the UTF-8 payload.
 */
export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text)
  const header = length < 126 ? 2 : length < 0x10000 ? 4 : 10
  const frame = Buffer.allocUnsafe(header + length)
  frame[0] = 0x81 // FIN + opcode 1 (text)
  if (header === 2) frame[1] = length
  else if (header === 4) {
    frame[1] = 126
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = 127
    frame.writeUInt32BE(Math.floor(length / 0x1_0000_0000), 2)
    frame.writeUInt32BE(length >>> 0, 6)
  }
  frame.write(text, header, 'utf8')
  return frame
}
