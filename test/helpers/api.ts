// A small client over app.inject for tests: JSON in and out, a user's token carried along.
import type { App } from '../../src/app.ts'
import { ADMIN } from './app.ts'

export interface Answer<T = any> {
  status: number
  body: T
  headers: Record<string, string | string[] | number | undefined>
  cookies: { name: string; value: string; [k: string]: unknown }[]
}

export interface Caller {
  token: string
  userId: string
  username: string
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE' | 'OPTIONS'

export async function call<T = any>(
  app: App,
  method: Method,
  url: string,
  options: { as?: Caller | string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const token = typeof options.as === 'string' ? options.as : options.as?.token
  const res = await app.inject({
    method,
    url,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...options.headers },
    ...(options.body !== undefined ? { payload: options.body as object } : {}),
  })
  const text = res.body
  return {
    status: res.statusCode,
    body: text ? (res.headers['content-type']?.toString().includes('json') ? JSON.parse(text) : text) : null,
    headers: res.headers,
    cookies: res.cookies as Answer['cookies'],
  }
}

export async function login(app: App, username: string, password: string): Promise<Caller> {
  const res = await call(app, 'POST', '/api/auth/login', { body: { username, password } })
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${JSON.stringify(res.body)}`)
  return { token: res.body.token, userId: res.body.user.id, username }
}

/** The session a token names (its `sid` claim). */
export const sessionOf = (token: string): string =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid

export const loginAdmin = (app: App) => login(app, ADMIN.username, ADMIN.password)

export async function mintCodes(
  app: App,
  admin: Caller,
  kind: 'invite' | 'activation',
  body: object,
): Promise<string[]> {
  const res = await call(app, 'POST', `/api/admin/${kind}-codes`, { as: admin, body })
  if (res.status !== 201) throw new Error(`mint: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.codes.map((c: { code: string }) => c.code)
}

let n = 0
/** Registers a fresh user through an admin-minted invite code. */
export async function newUser(
  app: App,
  name = `user${process.pid % 1000}_${n++}`,
  password = 'password-123',
): Promise<Caller> {
  const [minted] = await app.core.codes.mint('invite', { count: 1, createdBy: null })
  const inviteCode = minted!.code
  const res = await call(app, 'POST', '/api/auth/register', {
    body: { username: name, password, inviteCode },
  })
  if (res.status !== 201) throw new Error(`register ${name}: ${res.status} ${JSON.stringify(res.body)}`)
  return { token: res.body.token, userId: res.body.user.id, username: name }
}

/**
 * A room named `name`, created by `creator` on `on.create` and joined by each of `members` on
 * `on.join` (the same instance when not given); resolves with its id.
 */
export async function roomWith(
  on: { create: App; join?: App },
  creator: Caller,
  members: Caller[],
  name: string,
): Promise<string> {
  const id = (await call(on.create, 'POST', '/api/rooms', { as: creator, body: { name } })).body.room
    .id as string
  for (const m of members) await call(on.join ?? on.create, 'POST', `/api/rooms/${id}/join`, { as: m })
  return id
}
