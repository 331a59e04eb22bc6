// A frame written to many sockets (a room's message, once per message per instance). It is
// serialised once; the transport that writes it keeps its wire form on it, made by the first
// socket that writes it, so every further socket costs the write alone. For the WebSocket
// gateway the wire form is the whole WebSocket frame, header included: one buffer, one write.
export class SharedFrame {
  /** The transport's encoding of `text`, made once, then written as is. */
  wire: Buffer | undefined = undefined
  constructor(readonly text: string) {}
}
