// What a room the caller may not see gives away, on the run's backend: someone else's direct room
// answers every route exactly as an id that does not exist. The routes are read from
// /openapi.json, so a route added later is walked too; public rooms keep answering NOT_MEMBER to
// non-members.
import t from 'tap'
import type { App } from '../../src/app.ts'
import { newId } from '../../src/ids.ts'
import { type Caller, call, loginAdmin, newUser } from '../helpers/api.ts'
import { backendName, buildTestApp } from '../helpers/app.ts'

type Schema = Record<string, any>

/** A small valid value of a request schema (required properties only), so a body passes validation. */
function sample(schema: Schema, doc: Schema): unknown {
  if (schema.$ref) return sample(doc.components.schemas[schema.$ref.split('/').at(-1)], doc)
  const choice = schema.anyOf ?? schema.oneOf
  if (choice) return sample(choice.find((s: Schema) => s.type !== 'null') ?? choice[0], doc)
  if ('const' in schema) return schema.const
  if (schema.enum) return schema.enum[0]
  switch (schema.type) {
    case 'object':
      return Object.fromEntries(
        (schema.required ?? []).map((k: string) => [k, sample(schema.properties[k], doc)]),
      )
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => sample(schema.items, doc))
    case 'integer':
    case 'number':
      return Math.min(Math.max(schema.minimum ?? 1, 1), schema.maximum ?? Number.MAX_SAFE_INTEGER)
    case 'boolean':
      return false
    default:
      return 'hello'.padEnd(schema.minLength ?? 0, 'o')
  }
}

const BOUNDARY = 'roomchat-visibility'
const MULTIPART = Buffer.from(
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n` +
    `Content-Type: text/plain\r\n\r\nhello\r\n--${BOUNDARY}--\r\n`,
)

interface Route {
  method: string
  path: string
  op: Schema
}

/** The operations of /openapi.json that take a room's id, or the id of a file of a room. */
function roomRoutes(doc: Schema): Route[] {
  const routes: Route[] = []
  for (const [path, ops] of Object.entries<Schema>(doc.paths))
    for (const [method, op] of Object.entries<Schema>(ops)) {
      const names: string[] = (op.parameters ?? []).map((p: Schema) => p.name)
      const byRoom = path.startsWith('/api/rooms/{id}') || names.includes('room') || names.includes('roomId')
      if (byRoom || path.startsWith('/api/files/{id}'))
        routes.push({ method: method.toUpperCase(), path, op })
    }
  return routes
}

t.test(`rooms one may not see, on ${backendName}`, async (t) => {
  const app: App = await buildTestApp(t)
  const admin = await loginAdmin(app)
  const [ann, bob, eve] = [await newUser(app), await newUser(app), await newUser(app)]
  const dm = (await call(app, 'POST', '/api/dms', { as: ann, body: { userId: bob.userId } })).body.room
  t.equal(
    (
      await call(app, 'POST', `/api/rooms/${dm.id}/messages`, {
        as: ann,
        body: { text: 'hi', clientMsgId: 'd1' },
      })
    ).status,
    201,
  )
  const uploaded = await app.inject({
    method: 'POST',
    url: `/api/rooms/${dm.id}/files`,
    headers: {
      authorization: `Bearer ${ann.token}`,
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
    },
    payload: MULTIPART,
  })
  t.equal(uploaded.statusCode, 201)
  const dmFile = uploaded.json().file.id as string
  const doc = (await app.inject({ url: '/openapi.json' })).json()
  const routes = roomRoutes(doc)

  /** Eve's answer on a route, with the room (or file) id given. */
  const ask = async ({ method, path, op }: Route, id: string) => {
    const values: Record<string, string> = {
      id,
      seq: '1',
      userId: bob.userId,
      emoji: encodeURIComponent('👍'),
    }
    const url = path.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? newId())
    // The room's id, and a valid value for every other required query parameter (a search's q).
    const query = (op.parameters ?? [])
      .filter((p: Schema) => p.in === 'query')
      .flatMap((p: Schema) =>
        p.name === 'room' || p.name === 'roomId'
          ? [`${p.name}=${id}`]
          : p.required
            ? [`${p.name}=${encodeURIComponent(String(sample(p.schema, doc)))}`]
            : [],
      )
    const content = op.requestBody?.content ?? {}
    const headers: Record<string, string> = { authorization: `Bearer ${eve.token}` }
    let payload: string | Buffer | undefined
    if (content['application/json']) {
      headers['content-type'] = 'application/json'
      payload = JSON.stringify(sample(content['application/json'].schema, doc))
    } else if (content['multipart/form-data']) {
      headers['content-type'] = `multipart/form-data; boundary=${BOUNDARY}`
      payload = MULTIPART
    }
    const res = await app.inject({
      method: method as 'GET',
      url: query.length ? `${url}?${query.join('&')}` : url,
      headers,
      ...(payload !== undefined ? { payload } : {}),
    })
    return { status: res.statusCode, body: res.body }
  }

  t.test('every route with a room id answers for someone else’s direct room as for no room', async (t) => {
    t.ok(routes.length >= 17, `${routes.length} operations walked`)
    for (const route of routes) {
      const name = `${route.method} ${route.path}`
      const fileRoute = route.path.startsWith('/api/files/')
      const hidden = await ask(route, fileRoute ? dmFile : dm.id)
      const unknown = await ask(route, newId())
      t.equal(hidden.status, unknown.status, `${name}: the same status (${unknown.status})`)
      t.equal(hidden.body, unknown.body, `${name}: the same body, byte for byte`)
      t.equal(unknown.status, 404, `${name}: 404 for an id that does not exist`)
      if (route.method !== 'HEAD')
        t.match(JSON.parse(unknown.body), { code: 'NOT_FOUND' }, `${name}: NOT_FOUND`)
    }
  })

  t.test('nothing of the direct room changed on the way', async (t) => {
    const history = await call(app, 'GET', `/api/rooms/${dm.id}/messages`, { as: bob })
    t.same(
      history.body.items.map((m: { seq: number; text: string; reactions: unknown[] }) => [
        m.seq,
        m.text,
        m.reactions,
      ]),
      [
        [1, 'hi', []],
        [2, 'a.txt', []],
      ],
    )
    t.equal((await call(app, 'GET', `/api/rooms/${dm.id}`, { as: ann })).body.room.memberCount, 2)
    t.equal(
      (await app.inject({ url: `/api/files/${dmFile}`, headers: { authorization: `Bearer ${bob.token}` } }))
        .body,
      'hello',
    )
    t.same((await call(app, 'GET', '/api/me', { as: eve })).body.user.rooms, [], 'eve joined nothing')
  })

  t.test('a public room still answers NOT_MEMBER to a non-member', async (t) => {
    const room = (await call(app, 'POST', '/api/rooms', { as: admin, body: { name: 'Open' } })).body.room
    t.equal((await call(app, 'GET', `/api/rooms/${room.id}`, { as: eve })).status, 200)
    for (const [method, suffix] of [
      ['GET', '/messages'],
      ['GET', '/members'],
    ] as const) {
      const res = await call(app, method, `/api/rooms/${room.id}${suffix}`, { as: eve })
      t.same([res.status, res.body.code], [403, 'NOT_MEMBER'], `${method} ${suffix}`)
    }
    const read = await call(app, 'POST', `/api/rooms/${room.id}/read`, { as: eve, body: { seq: 1 } })
    t.same([read.status, read.body.code], [403, 'NOT_MEMBER'])
  })

  t.test('its two users still see it, also after leaving it', async (t) => {
    for (const who of [ann, bob] as Caller[])
      t.equal((await call(app, 'GET', `/api/rooms/${dm.id}`, { as: who })).status, 200)
    const [cy, di] = [await newUser(app), await newUser(app)]
    const other = (await call(app, 'POST', '/api/dms', { as: cy, body: { userId: di.userId } })).body.room
    t.equal((await call(app, 'POST', `/api/rooms/${other.id}/leave`, { as: cy })).status, 204)
    const res = await call(app, 'GET', `/api/rooms/${other.id}/messages`, { as: cy })
    t.not(res.status, 404, 'the room is still theirs to see')
  })
})
