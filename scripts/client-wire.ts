// Writes packages/client/src/wire.ts: the wire types of the HTTP API and the WebSocket protocol
// as plain TypeScript, expanded by the compiler from the server's TypeBox schemas (src/schemas)
// with Static<>, plus the protocol's constants. The client package then needs neither TypeBox
// nor any server module (nor Node's types) to describe the wire. `npm run client:wire`
// rewrites it; test/client/wire.test.ts fails when it is stale.
//
// The compiler expands every type in full, so a Message would be spelled out again inside each
// frame that carries one, and the error codes inside every error frame. Each part of a type that
// is spelled exactly as a type listed here is written as that type's name instead, and the
// union of every error code as ServerCode: each shape is written once, and a reader sees that a
// MessageFrame carries a Message.
//
//   node --import tsx scripts/client-wire.ts [--check]
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { ERROR_CODES } from '../src/schemas/error-codes.ts'
import { CloseCodes } from '../src/schemas/frames.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const WIRE_FILE = join(ROOT, 'packages/client/src/wire.ts')

/** Exported type name → the schema it is the Static<> of (module under src/schemas, export name). */
const TYPES: [name: string, module: string, schema: string, doc: string][] = [
  ['ErrorBody', 'common', 'ErrorBody', 'The one shape of every HTTP error answer.'],
  ['OwnUser', 'users', 'OwnUser', 'The signed-in user, as the index page and the personal centre show it.'],
  ['PublicUser', 'users', 'PublicUser', 'What anyone signed in may see of another user.'],
  [
    'AdminUserView',
    'users',
    'AdminUserView',
    "A user in the admin's list: the public view, whether the account is banned or muted everywhere, and who invited them.",
  ],
  ['UserRef', 'users', 'UserRef', 'A user as named on a post, a room or a message.'],
  ['Theme', 'users', 'Theme', 'A user interface theme: a mode and an optional accent colour.'],
  ['RegisterBody', 'users', 'RegisterBody', 'POST /api/auth/register'],
  ['LoginBody', 'users', 'LoginBody', 'POST /api/auth/login'],
  ['DeleteAccountBody', 'leave', 'DeleteAccountBody', 'DELETE /api/me'],
  [
    'AuthAnswer',
    'users',
    'AuthAnswer',
    'The answer of login and register: the user and a token for `Authorization: Bearer`.',
  ],
  ['ProfilePatch', 'users', 'ProfilePatch', 'PATCH /api/me'],
  ['PasswordChange', 'users', 'PasswordChange', 'POST /api/me/password'],
  ['TotpSetup', 'users', 'TotpSetup', 'POST /api/auth/totp/setup: not active until enabled with a code.'],
  [
    'TotpSetupBody',
    'users',
    'TotpSetupBody',
    'POST /api/auth/totp/setup: the current password, and a current code when two-factor is on.',
  ],
  [
    'TotpConfirmBody',
    'users',
    'TotpConfirmBody',
    'POST /api/auth/totp/enable and /disable: a code and the current password.',
  ],
  ['WsTicket', 'users', 'WsTicket', 'POST /api/auth/ws-ticket: single use, for `/ws?ticket=`.'],
  ['AdminUserPatch', 'users', 'AdminUserPatch', 'PATCH /api/admin/users/:id'],
  ['PushKey', 'notify', 'PushKey', 'GET /api/push/key: the VAPID public key (`applicationServerKey`).'],
  [
    'PushSubscriptionBody',
    'notify',
    'PushSubscriptionBody',
    "POST /api/push/subscriptions: a browser's `PushSubscription.toJSON()`.",
  ],
  ['NotifySettings', 'notify', 'NotifySettings', 'GET /api/me/notifications'],
  ['NotifySettingsPatch', 'notify', 'NotifySettingsPatch', 'PATCH /api/me/notifications'],
  ['ForgotBody', 'notify', 'ForgotBody', 'POST /api/auth/password/forgot: a username or a mail address.'],
  ['ResetBody', 'notify', 'ResetBody', 'POST /api/auth/password/reset'],
  ['ResetLink', 'notify', 'ResetLink', 'POST /api/admin/users/:id/reset-link'],
  [
    'PageQuery',
    'common',
    'PageQuery',
    'The paging of every list: `?limit=` (1..200) and `?cursor=` from the last page.',
  ],
  ['UsersQuery', 'directory', 'UsersQuery', 'GET /api/users'],
  ['Post', 'posts', 'Post', "A post on a wall (the home wall, or a user's)."],
  ['WallQuery', 'posts', 'WallQuery', 'GET /api/posts, GET /api/users/:id/posts'],
  ['Room', 'rooms', 'Room', 'A chat room.'],
  ['CreateRoomBody', 'rooms', 'CreateRoomBody', 'POST /api/rooms'],
  ['RoomsQuery', 'rooms', 'RoomsQuery', 'GET /api/rooms'],
  ['Member', 'rooms', 'Member', 'A member of a room, with whether they are online.'],
  [
    'Message',
    'rooms',
    'Message',
    'A message of a room; `seq` is its place in the room, from 1 without gaps.',
  ],
  ['FileInfo', 'rooms', 'FileInfo', 'A file shared in a room (GET /api/files/:id).'],
  ['HistoryQuery', 'rooms', 'HistoryQuery', 'GET /api/rooms/:id/messages'],
  [
    'HistoryPage',
    'rooms',
    'HistoryPage',
    'GET /api/rooms/:id/messages with `around` or `cursor`: a page with both cursors.',
  ],
  ['SendBody', 'rooms', 'SendBody', 'POST /api/rooms/:id/messages'],
  ['EditBody', 'rooms', 'EditBody', 'PATCH /api/rooms/:id/messages/:seq'],
  ['ReadBody', 'rooms', 'ReadBody', 'POST /api/rooms/:id/read'],
  ['MuteBody', 'rooms', 'MuteBody', 'POST /api/rooms/:id/members/:userId/mute'],
  ['KickBody', 'rooms', 'KickBody', 'POST /api/rooms/:id/members/:userId/kick'],
  ['UnreadItem', 'rooms', 'UnreadItem', 'GET /api/me/unread: one room with unread messages or mentions.'],
  ['Reaction', 'rooms', 'Reaction', 'One emoji on a message: how many put it there, and whether I did.'],
  ['Change', 'rooms', 'Change', 'What an `update` changed, and who changed it.'],
  ['SearchQuery', 'search', 'SearchQuery', 'GET /api/search'],
  [
    'SearchHit',
    'search',
    'SearchHit',
    'One message found, its room, and where the query matched (code point offsets into its text).',
  ],
  ['SearchPage', 'search', 'SearchPage', 'GET /api/search: hits newest first.'],
  ['Pin', 'search', 'Pin', 'A pinned message of a room, who pinned it and when.'],
  ['PinList', 'search', 'PinList', 'GET /api/rooms/:id/pins: latest pin first.'],
  ['CodeView', 'codes', 'CodeView', 'An invite or activation code as an admin sees it in lists.'],
  ['NewCode', 'codes', 'NewCode', 'A code just minted: the only time the plain `code` is shown.'],
  ['InviteCodesBody', 'codes', 'InviteCodesBody', 'POST /api/admin/invite-codes'],
  ['ActivationCodesBody', 'codes', 'ActivationCodesBody', 'POST /api/admin/activation-codes'],
  ['CodesQuery', 'codes', 'CodesQuery', 'GET /api/admin/codes'],
  ['MemberCodesBody', 'codes', 'MemberCodesBody', 'POST /api/me/invite-codes'],
  [
    'InviteeFields',
    'lineage',
    'InviteeFields',
    'One user of an invitation tree (GET /api/admin/users/:id/invitees), beside its `children`.',
  ],
  ['InviteesQuery', 'lineage', 'InviteesQuery', 'GET /api/admin/users/:id/invitees'],
  ['FreezeBody', 'lineage', 'FreezeBody', 'POST /api/admin/users/:id/freeze'],
  [
    'FreezeAnswer',
    'lineage',
    'FreezeAnswer',
    'POST /api/admin/users/:id/freeze: who was frozen, who skipped.',
  ],
  ['AuditAction', 'audit', 'AuditAction', 'What an audit entry records.'],
  [
    'AuditEntry',
    'audit',
    'AuditEntry',
    'One action of an admin or a room creator on someone else, as the audit log keeps it.',
  ],
  ['AuditQuery', 'audit', 'AuditQuery', 'GET /api/admin/audit'],
  ['CreateBotBody', 'bots', 'CreateBotBody', 'POST /api/admin/bots'],
  [
    'BotCreated',
    'bots',
    'BotCreated',
    'A bot just created, with its token: the only time the token is shown.',
  ],
  ['Webhook', 'bots', 'Webhook', "A room's incoming webhook, without its secret."],
  ['CreateWebhookBody', 'bots', 'CreateWebhookBody', 'POST /api/rooms/:id/webhooks'],
  [
    'WebhookCreated',
    'bots',
    'WebhookCreated',
    'A webhook just created: its `url` holds the secret and is shown only then.',
  ],
  [
    'HookPostBody',
    'bots',
    'HookPostBody',
    'POST /hooks/:hookId/:secret (called by other servers, not by this client).',
  ],
  ['IntegrationEvent', 'integrations', 'IntegrationEvent', 'What an outgoing integration subscribes to.'],
  ['IntegrationBody', 'integrations', 'IntegrationBody', 'POST /api/admin/integrations'],
  [
    'Integration',
    'integrations',
    'Integration',
    'An outgoing integration as admins see it (never its secret).',
  ],
  [
    'IntegrationRoomState',
    'integrations',
    'IntegrationRoomState',
    "Where an integration's delivery stands in one room.",
  ],
  ['IntegrationDetail', 'integrations', 'IntegrationDetail', 'GET /api/admin/integrations/:id'],
  ['Report', 'safety', 'Report', 'A report of a message, the message kept as it was when reported.'],
  ['ReportedMessage', 'safety', 'ReportedMessage', 'The reported message as it was when reported.'],
  ['ReportBody', 'safety', 'ReportBody', 'POST /api/reports'],
  ['ReportsQuery', 'safety', 'ReportsQuery', 'GET /api/admin/reports'],
  ['DecideBody', 'safety', 'DecideBody', 'PATCH /api/admin/reports/:id'],
  ['ClientFrame', 'frames', 'ClientFrame', 'Any frame a client sends on /ws.'],
  ['ServerFrame', 'frames', 'ServerFrame', 'Any frame the server sends on /ws.'],
  ['JoinFrame', 'frames', 'JoinFrame', 'Client → server: start live delivery of a room.'],
  ['SendFrame', 'frames', 'SendFrame', 'Client → server: send a message.'],
  ['JoinedFrame', 'frames', 'JoinedFrame', 'Server → client: the answer to `join`.'],
  ['AckFrame', 'frames', 'AckFrame', 'Server → client: a `send` was stored.'],
  ['MessageFrame', 'frames', 'MessageFrame', "Server → client: a room's next message."],
  [
    'UpdateFrame',
    'frames',
    'UpdateFrame',
    "Server → client: a message changed (edit, deletion, reactions); `seq` is the change's own.",
  ],
  [
    'PinFrame',
    'frames',
    'PinFrame',
    "Server → client: a message was pinned or unpinned; `seq` is the pin's own in the room's stream.",
  ],
  ['ReadFrame', 'frames', 'ReadFrame', 'Server → client: my read marker of a room moved (another tab).'],
  ['PresenceFrame', 'frames', 'PresenceFrame', 'Server → client: who is online in a room changed.'],
  ['TypingNotice', 'frames', 'TypingNotice', 'Server → client: someone is typing.'],
  ['RoomFrame', 'frames', 'RoomFrame', "Server → client: a room's details or member count changed."],
  [
    'RemovedFrame',
    'frames',
    'RemovedFrame',
    'Server → client: live delivery of a room ended without the client asking.',
  ],
  ['ErrorFrame', 'frames', 'ErrorFrame', 'Server → client: a frame was refused.'],
  ['PongFrame', 'frames', 'PongFrame', 'Server → client: the answer to `ping`.'],
]

/** Expands every Static<> with the compiler and prints the result as plain type aliases. */
function expandTypes(): string {
  const probe = join(ROOT, 'src/schemas/__wire_probe.ts')
  const modules = [...new Set(TYPES.map(([, m]) => m))]
  const source = [
    "import type { Static } from 'typebox'",
    ...modules.map((m) => `import type * as ${m} from './${m}.ts'`),
    ...TYPES.map(([name, m, schema]) => `export type ${name} = Static<typeof ${m}.${schema}>`),
  ].join('\n')
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2023,
    strict: true,
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  }
  const host = ts.createCompilerHost(options)
  const getSourceFile = host.getSourceFile.bind(host)
  const fileExists = host.fileExists.bind(host)
  host.getSourceFile = (file, language, ...rest) =>
    file === probe ? ts.createSourceFile(file, source, language) : getSourceFile(file, language, ...rest)
  host.fileExists = (file) => file === probe || fileExists(file)
  const program = ts.createProgram([probe], options, host)
  const problems = ts
    .getPreEmitDiagnostics(program, program.getSourceFile(probe))
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
  if (problems.length > 0) throw new Error(`the schemas do not type-check:\n${problems.join('\n')}`)
  const checker = program.getTypeChecker()
  const printer = ts.createPrinter({ newLine: ts.NewLineKind.LineFeed })
  const file = program.getSourceFile(probe)!
  const docs = new Map(TYPES.map(([name, , , doc]) => [name, doc]))
  const expanded: [name: string, node: ts.TypeNode][] = []
  for (const statement of file.statements) {
    if (!ts.isTypeAliasDeclaration(statement)) continue
    const type = checker.getTypeAtLocation(statement.name)
    const node = checker.typeToTypeNode(
      type,
      undefined,
      ts.NodeBuilderFlags.NoTruncation | ts.NodeBuilderFlags.InTypeAlias | ts.NodeBuilderFlags.IgnoreErrors,
    )
    if (!node) throw new Error(`cannot expand ${statement.name.text}`)
    expanded.push([statement.name.text, node])
  }
  const print = (node: ts.Node) => printer.printNode(ts.EmitHint.Unspecified, node, file)
  /** A type's full spelling → the first listed type spelled so. */
  const named = new Map<string, string>()
  for (const [name, node] of expanded) {
    const text = print(node)
    if (!named.has(text)) named.set(text, name)
  }
  const out: string[] = []
  for (const [name, node] of expanded) {
    const same = named.get(print(node))
    const body = same !== name ? ts.factory.createTypeReferenceNode(same!) : nameParts(node, named, print)
    out.push(`/** ${docs.get(name)} */\nexport type ${name} = ${print(body)}\n`)
  }
  return out.join('\n')
}

/** The parts of `root` spelled as a named type (the largest first) written as its name. */
function nameParts(
  root: ts.TypeNode,
  named: Map<string, string>,
  print: (node: ts.Node) => string,
): ts.TypeNode {
  const codes = new Set(Object.keys(ERROR_CODES))
  const isErrorCodes = (node: ts.Node) =>
    ts.isUnionTypeNode(node) &&
    node.types.length === codes.size &&
    node.types.every(
      (t) => ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal) && codes.has(t.literal.text),
    )
  const [result] = ts.transform(root, [
    (context) => {
      const visit = (node: ts.Node): ts.Node => {
        if (node !== root && ts.isTypeNode(node)) {
          if (isErrorCodes(node)) return ts.factory.createTypeReferenceNode('ServerCode')
          const name = named.get(print(node))
          if (name) return ts.factory.createTypeReferenceNode(name)
        }
        return ts.visitEachChild(node, visit, context)
      }
      return (node) => visit(node) as ts.TypeNode
    },
  ]).transformed
  return result!
}

/** The whole file, formatted as the project formats TypeScript. */
export function renderWire(): string {
  const codes = Object.keys(ERROR_CODES)
  const text = [
    '// Generated by `npm run client:wire` (scripts/client-wire.ts) from src/schemas: do not edit.',
    "// The types are the server's TypeBox schemas expanded; run it again after a schema changes.",
    '',
    expandTypes(),
    '/** A page of a list: `?limit=` (1..200) and `?cursor=` in, `{items, nextCursor}` out. */',
    'export type PageOf<T> = { items: T[]; nextCursor: string | null }',
    '',
    '/** The close codes the server uses on /ws. */',
    `export const CloseCode = ${JSON.stringify({ NORMAL: 1000, ...CloseCodes }, null, 2)} as const`,
    '',
    '/** Every machine `code` the server answers with, on HTTP and in `error` frames. */',
    `export const ServerCodes = ${JSON.stringify(codes, null, 2)} as const`,
    'export type ServerCode = (typeof ServerCodes)[number]',
    '',
  ].join('\n')
  return execFileSync(join(ROOT, 'node_modules/.bin/biome'), ['format', `--stdin-file-path=${WIRE_FILE}`], {
    input: text,
    encoding: 'utf8',
  })
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = renderWire()
  if (process.argv.includes('--check')) {
    if (readFileSync(WIRE_FILE, 'utf8') !== text) {
      console.error(`${WIRE_FILE} is stale: run npm run client:wire`)
      process.exit(1)
    }
  } else {
    writeFileSync(WIRE_FILE, text)
  }
}
