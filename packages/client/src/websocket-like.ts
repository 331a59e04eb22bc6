// The WebSocket the client runs on: the browser's, or the `ws` package's in Node (Node 20 has no
// global WebSocket). Only what both share is used: the on* handler properties, send and close.

/** A handler type compared bivariantly, so the DOM's and `ws`'s own event types both fit. */
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack']

export interface SocketMessageEvent {
  data: unknown
}

export interface SocketCloseEvent {
  code: number
  reason: string
}

export interface WebSocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: Handler<unknown> | null
  onmessage: Handler<SocketMessageEvent> | null
  onclose: Handler<SocketCloseEvent> | null
  onerror: Handler<unknown> | null
}

/** Options understood by `ws` (headers at the upgrade); a browser's WebSocket ignores them. */
export interface WebSocketOptions {
  headers?: Record<string, string>
}

export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
  options?: WebSocketOptions,
) => WebSocketLike

export const OPEN = 1

/** The WebSocket given, else the global one (browsers, Node 22+); throws when there is none. */
export function resolveWebSocket(given?: WebSocketConstructor): WebSocketConstructor {
  if (given) return given
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
  if (!global) {
    throw new Error('No global WebSocket here: pass one as the `WebSocket` option (e.g. the `ws` package)')
  }
  return global
}

/** The text of a frame: a string in browsers and in `ws` for text frames; bytes decoded as UTF-8. */
export function frameText(data: unknown): string | null {
  if (typeof data === 'string') return data
  if (data instanceof ArrayBuffer || data instanceof Uint8Array) return new TextDecoder().decode(data)
  return null
}

/** Drops a socket at once: `ws`'s terminate() where there is one (no closing handshake to wait for). */
export function dropSocket(ws: WebSocketLike, code: number, reason: string): void {
  ws.onopen = null
  ws.onmessage = null
  ws.onclose = null
  ws.onerror = () => {}
  const terminate = (ws as { terminate?: () => void }).terminate
  try {
    if (typeof terminate === 'function') terminate.call(ws)
    else ws.close(code, reason)
  } catch {
    // already closed or closing
  }
}
