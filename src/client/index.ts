// The typed client for SPAs and tests: ChatSocket for `/ws`, ChatHttp for the HTTP API.
// Framework-free and browser-safe; in Node 20 pass the `ws` package as the WebSocket option.
export { type BackoffOptions, backoffDelay, defaultBackoff } from './backoff.ts'
export { Emitter, type EventMap, type Listener } from './emitter.ts'
export { ApiError, ChatError, ClientCodes } from './errors.ts'
export {
  ChatHttp,
  type ChatHttpOptions,
  type FetchInit,
  type FetchLike,
  type FetchResponseLike,
} from './http.ts'
export { newClientMsgId } from './ids.ts'
export { RoomStream } from './ordering.ts'
export {
  ChatSocket,
  type ChatSocketEvents,
  type ChatSocketOptions,
  CloseCode,
  type CloseInfo,
  type JoinOptions,
  type SendOptions,
  type SocketState,
} from './socket.ts'
export type {
  SocketCloseEvent,
  SocketMessageEvent,
  WebSocketConstructor,
  WebSocketLike,
  WebSocketOptions,
} from './transport.ts'
export type * from './types.ts'
