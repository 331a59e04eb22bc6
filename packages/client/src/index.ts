// @roomchat/client: the typed client of the roomchat API for browsers, native apps and Node.
// ChatHttp for the HTTP routes, ChatSocket for `/ws`; the wire types are generated from the
// server's schemas (./wire.ts). No dependencies; in Node 20 pass the `ws` package as the
// WebSocket option (Node 22+ and browsers have a global one).
export { type BackoffOptions, backoffDelay, defaultBackoff } from './backoff.ts'
export { Emitter, type EventMap, type Listener } from './emitter.ts'
export {
  ApiError,
  ChatError,
  type ClientCode,
  ClientCodes,
  type ErrorCodeOf,
  isSessionRefused,
  isTemporary,
} from './errors.ts'
export {
  ChatHttp,
  type ChatHttpOptions,
  type DownloadedFile,
  fileNameOf,
  type Health,
  type InviteeNode,
  type Invitees,
} from './http.ts'
export type { FetchInit, FetchLike, FetchResponseLike, Query, RequestOptions } from './http-transport.ts'
export { newClientMsgId } from './ids.ts'
export { RoomStream, type StreamEvent } from './room-stream.ts'
export { ChatSocket } from './socket.ts'
export type { ConnectionEnd, SocketLinkEnd } from './socket-link.ts'
export type {
  ChatSocketEvents,
  ChatSocketOptions,
  CloseInfo,
  JoinOptions,
  RefusedInfo,
  SendOptions,
  SocketState,
} from './socket-types.ts'
export type { UploadAnswer, UploadOptions, UploadProgress } from './upload.ts'
export type {
  SocketCloseEvent,
  SocketMessageEvent,
  WebSocketConstructor,
  WebSocketLike,
  WebSocketOptions,
} from './websocket-like.ts'
export * from './wire.ts'
