// JSON over real HTTP (fetch) to a server process or a load balancer, with a Bearer token when
// given. (In-process apps are called through app.inject: ./api.ts.)

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE'

export interface HttpAnswer<T = any> {
  status: number
  body: T
}

export interface HttpOptions {
  token?: string
  body?: unknown
}

/** One call; the body parsed as JSON when it is JSON, else the text. */
export async function http<T = any>(
  base: string,
  method: HttpMethod,
  path: string,
  options: HttpOptions = {},
): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = {}
  if (options.token) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(base + path, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  })
  const text = await res.text()
  let body: any = text
  try {
    body = text ? JSON.parse(text) : null
  } catch {}
  return { status: res.status, body }
}

/** Like `http`, but throws unless the status is the expected one; resolves with the body. */
export async function expectHttp<T = any>(
  status: number,
  base: string,
  method: HttpMethod,
  path: string,
  options: HttpOptions = {},
): Promise<T> {
  const res = await http<T>(base, method, path, options)
  if (res.status !== status)
    throw new Error(`${method} ${path}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`)
  return res.body
}
