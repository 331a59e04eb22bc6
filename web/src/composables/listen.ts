// A page's socket handlers as one table: every one added at once, and the function that takes
// every one off again, so the two lists cannot drift apart.
import type { ChatSocket, ChatSocketEvents, Listener } from '@roomchat/client'

export type SocketHandlers = { [K in keyof ChatSocketEvents]?: Listener<ChatSocketEvents[K]> }

/** Adds the handlers to the socket; returns the function that removes them. */
export function listen(socket: ChatSocket, handlers: SocketHandlers): () => void {
  const offs = (Object.keys(handlers) as (keyof ChatSocketEvents)[]).map((event) =>
    // Each handler is the table's own for its event: the mapped type above checks the pairing.
    socket.on(event, handlers[event] as (...args: unknown[]) => void),
  )
  return () => {
    for (const off of offs) off()
  }
}
