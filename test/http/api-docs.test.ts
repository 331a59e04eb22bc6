// The machine-readable contract: /openapi.json worth generating a client from (an operationId
// per operation, named schemas, typed error codes with meanings, security only where it is
// needed, BAD_ORIGIN where it can happen) and /asyncapi.json, a valid AsyncAPI 3 document of the
// WebSocket protocol with its close and error codes.

import SwaggerParser from '@apidevtools/swagger-parser'
import { Parser } from '@asyncapi/parser'
import t from 'tap'
import { ERROR_CODES, type ErrorCode, statusesOf } from '../../src/schemas/error-codes.ts'
import { CLOSE_CODES, CloseCodes } from '../../src/schemas/frames.ts'
import { call } from '../helpers/api.ts'
import { backendName, buildTestApp } from '../helpers/app.ts'

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options']
const UNSAFE = new Set(['post', 'put', 'patch', 'delete'])
/** Routes anyone may call: no security, no 401 UNAUTHENTICATED. */
// (/metrics is on the API port only with METRICS_TOKEN set, so not in the default document.)
const PUBLIC = [
  '/healthz',
  '/readyz',
  '/asyncapi.json',
  '/api/auth/register',
  '/api/auth/login',
  '/api/auth/session',
  '/api/push/key',
  '/api/auth/email/verify',
  '/api/auth/password/forgot',
  '/api/auth/password/reset',
  '/hooks/{hookId}/{secret}',
]

const EXPECTED = [
  ...['health', 'ready', 'asyncApi'],
  ...['register', 'login', 'getSession', 'logout', 'totpSetup', 'enableTotp', 'disableTotp', 'wsTicket'],
  ...['getMe', 'updateMe', 'changePassword', 'redeemVip', 'getUnread', 'openDm'],
  ...['setAvatar', 'removeAvatar', 'getAvatar'],
  ...[
    'getPushKey',
    'subscribePush',
    'unsubscribePush',
    'getNotificationSettings',
    'updateNotificationSettings',
  ],
  ...['setEmail', 'verifyEmail', 'forgotPassword', 'resetPassword', 'adminResetLink'],
  ...[
    'listUsers',
    'getUser',
    'listUserPosts',
    'createUserPost',
    'listHomePosts',
    'createHomePost',
    'deletePost',
  ],
  ...[
    'createRoom',
    'listRooms',
    'getRoom',
    'joinRoom',
    'leaveRoom',
    'listMembers',
    'listMessages',
    'sendMessage',
  ],
  ...['editMessage', 'deleteMessage', 'addReaction', 'removeReaction', 'markRead'],
  ...['kickMember', 'muteMember', 'banFromRoom', 'unbanFromRoom'],
  ...['searchMessages', 'listPins', 'pinMessage', 'unpinMessage'],
  ...['deleteRoom', 'uploadFile', 'downloadFile', 'downloadFileHead'],
  ...['mintInviteCodes', 'mintActivationCodes', 'listCodes', 'revokeCode', 'listUsersForAdmin', 'updateUser'],
  ...['listAudit', 'listInvitees', 'freezeUser', 'mintMyInviteCodes', 'listMyInviteCodes'],
  ...['blockUser', 'unblockUser', 'reportMessage', 'listReports', 'decideReport'],
  ...[
    'createBot',
    'listBots',
    'rotateBotToken',
    'createWebhook',
    'listWebhooks',
    'deleteWebhook',
    'postToWebhook',
  ],
  ...['createIntegration', 'listIntegrations', 'getIntegration', 'deleteIntegration'],
  ...['deleteAccount', 'exportAccount'],
]

type Operation = {
  operationId?: string
  security?: unknown[]
  responses: Record<
    string,
    { description: string; content?: Record<string, { schema: Record<string, any> }> }
  >
}

t.test(`the API documents on ${backendName}`, async (t) => {
  const app = await buildTestApp(t)
  const openapi = (await call(app, 'GET', '/openapi.json')).body
  const operations: [string, string, Operation][] = []
  for (const [path, item] of Object.entries(openapi.paths as Record<string, Record<string, Operation>>))
    for (const method of METHODS) if (item[method]) operations.push([method, path, item[method]])

  t.test('OpenAPI validates and covers the API', async (t) => {
    await t.resolves(SwaggerParser.validate(structuredClone(openapi)))
    const ids = operations.map(([, , op]) => op.operationId).sort()
    t.same(ids, [...EXPECTED].sort(), 'every route, under its operationId')
  })

  t.test('every operation has a unique operationId', async (t) => {
    const ids = operations.map(([m, p, op]) => op.operationId ?? `${m} ${p} has none`)
    for (const [method, path, op] of operations)
      t.match(op.operationId, /^[a-z][A-Za-z]+$/, `${method} ${path}`)
    t.equal(new Set(ids).size, ids.length, 'no two alike')
  })

  t.test('named component schemas', async (t) => {
    const schemas = openapi.components.schemas
    for (const name of ['User', 'PublicUser', 'Room', 'Message', 'Post', 'Code', 'Error', 'Member', 'File'])
      t.ok(schemas[name], `components.schemas.${name}`)
    const room = openapi.paths['/api/rooms/{id}'].get.responses['200'].content['application/json'].schema
    t.same(room.properties.room, { $ref: '#/components/schemas/Room' }, 'referenced, not inlined')
  })

  t.test('every answer is described; every error names its codes', async (t) => {
    for (const [method, path, op] of operations) {
      for (const [status, answer] of Object.entries(op.responses)) {
        const where = `${method} ${path} ${status}`
        t.not(answer.description, 'Default Response', `${where} is described`)
        if (Number(status) < 400) continue
        const schema = answer.content?.['application/json']?.schema
        t.same(schema?.allOf?.[0], { $ref: '#/components/schemas/Error' }, `${where} is an Error`)
        const codes: ErrorCode[] = schema?.allOf?.[1]?.properties?.code?.enum ?? []
        t.ok(codes.length > 0, `${where} lists its codes`)
        for (const code of codes) {
          t.ok(code in ERROR_CODES, `${where}: ${code} is in the list`)
          t.ok(statusesOf(code).includes(Number(status)), `${where}: ${code} comes with ${status}`)
          t.ok(answer.description.includes(code), `${where}: the meaning of ${code} is given`)
        }
      }
    }
  })

  t.test('security only where a session is needed; BAD_ORIGIN where it can happen', async (t) => {
    for (const [method, path, op] of operations) {
      const where = `${method} ${path}`
      const codes401 =
        op.responses['401']?.content?.['application/json']?.schema?.allOf?.[1]?.properties?.code?.enum ?? []
      if (PUBLIC.includes(path)) {
        t.same(op.security, [], `${where} is public`)
        t.notOk(codes401.includes('UNAUTHENTICATED'), `${where} never wants a session`)
        continue
      }
      t.not(op.security?.length, 0, `${where} needs a session`)
      t.ok(codes401.includes('UNAUTHENTICATED'), `${where} documents 401 UNAUTHENTICATED`)
      if (UNSAFE.has(method)) {
        const codes403 =
          op.responses['403']?.content?.['application/json']?.schema?.allOf?.[1]?.properties?.code?.enum
        t.ok(codes403?.includes('BAD_ORIGIN'), `${where} documents 403 BAD_ORIGIN`)
      }
    }
  })

  t.test('a documented code is what the route answers', async (t) => {
    const res = await call(app, 'POST', '/api/auth/login', {
      body: { username: 'nobody', password: 'whatever1' },
    })
    t.equal(res.status, 401)
    const documented =
      openapi.paths['/api/auth/login'].post.responses['401'].content['application/json'].schema.allOf[1]
        .properties.code.enum
    t.ok(documented.includes(res.body.code), `${res.body.code} is documented`)
  })

  t.test('/asyncapi.json: a valid AsyncAPI 3 document of /ws', async (t) => {
    const res = await call(app, 'GET', '/asyncapi.json')
    t.equal(res.status, 200)
    const doc = res.body
    t.equal(doc.asyncapi, '3.0.0')
    const parser = new Parser()
    const diagnostics = await parser.validate(JSON.stringify(doc))
    const errors = diagnostics.filter((d) => d.severity === 0)
    t.same(
      errors.map((d) => `${d.path.join('.')}: ${d.message}`),
      [],
      'no error',
    )
    const { document } = await parser.parse(JSON.stringify(doc))
    t.ok(document, 'parses')
    t.equal(document!.channels().get('socket')?.address(), '/ws')
    const names = document!
      .messages()
      .all()
      .map((m) => m.name())
    for (const type of [
      'join',
      'leave',
      'send',
      'typing',
      'ping',
      'joined',
      'ack',
      'message',
      'presence',
      'room',
      'removed',
      'error',
      'pong',
    ])
      t.ok(names.includes(type), `the ${type} frame`)
    t.ok(document!.operations().get('send')?.reply(), 'send is answered (ack)')
    t.same(doc.components.schemas.ErrorCode.enum, Object.keys(ERROR_CODES), 'every error code')
    t.same(doc.components.schemas.ErrorFrame.properties.code.enum, Object.keys(ERROR_CODES))
    for (const code of Object.values(CloseCodes))
      t.ok(doc.components.schemas.CloseCode.enum.includes(code), `close ${code}`)
    t.ok(doc.info.description.includes(CLOSE_CODES[CloseCodes.REVOKED]!.meaning), 'close codes explained')
    t.same(doc.components.schemas.MessageFrame.properties.message, { $ref: '#/components/schemas/Message' })
  })
})

t.test('docs/errors.md is the error list as it is', async (t) => {
  const { readFile } = await import('node:fs/promises')
  const { ERRORS_DOC, renderErrorsDoc } = await import('../../scripts/docs-errors.ts')
  t.ok(
    (await readFile(ERRORS_DOC, 'utf8')) === renderErrorsDoc(),
    'current (npm run docs:errors rewrites it)',
  )
})
