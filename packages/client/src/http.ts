// ChatHttp: every HTTP route of the API as a typed method. Types come from the server's schemas
// (./wire.ts); failures reject with ApiError carrying the server's machine `code`.
//
// Auth: same-site browsers use the cookie login sets (nothing to do); cross-site browsers and
// native apps keep the token login returns and send it as Bearer (`token`, set by login and
// register), and open the socket with a ticket (see socketOptions()).
//
// One class to the app; its methods are written by route group, one file each, stacked:
// http-base.ts (transport, request, health), http-account.ts (signing in, me, users, walls),
// http-rooms.ts (rooms, messages, moderation), http-files.ts (uploads, downloads), http-admin.ts,
// http-notify.ts (push, notification settings, mail addresses, password resets), http-safety.ts
// (blocks, reports and their decisions), http-lineage.ts (members' own codes, invitation trees,
// freezes).
import { LineageRoutes } from './http-lineage.ts'

export type { ChatHttpOptions, Health } from './http-base.ts'
export { type DownloadedFile, fileNameOf } from './http-files.ts'
export type { InviteeNode, Invitees } from './http-lineage.ts'

export class ChatHttp extends LineageRoutes {}
