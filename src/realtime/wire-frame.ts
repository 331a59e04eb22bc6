// A server-to-client text frame encoded once for every socket it goes to: its text, and the
// complete WebSocket frame (RFC 6455 §5.2: FIN + text opcode, unmasked as a server's frames are,
// then the UTF-8 payload) as one buffer. A transport that can write it as it is does one socket
// write per delivery, with no per-socket encoding, framing or header allocation; one that cannot
// (a compressing extension, or frames queued behind it) sends the text.

export interface WireFrame {
  readonly text: string
  readonly wire: Buffer
}

const FIN_TEXT = 0x81

export function wireFrame(text: string): WireFrame {
  const length = Buffer.byteLength(text)
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10
  const wire = Buffer.allocUnsafe(header + length)
  wire[0] = FIN_TEXT
  if (header === 2) wire[1] = length
  else if (header === 4) {
    wire[1] = 126
    wire.writeUInt16BE(length, 2)
  } else {
    wire[1] = 127
    wire.writeUInt32BE(Math.floor(length / 2 ** 32), 2)
    wire.writeUInt32BE(length >>> 0, 6)
  }
  wire.write(text, header, 'utf8')
  return { text, wire }
}
