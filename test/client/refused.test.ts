// A refused session is final: the socket goes to state `refused`, emits `refused` once, rejects
// what waits, and never dials again. Seen through `ws` (which tells the upgrade's status) and
// through a WebSocket that hides it as browsers do (then `checkSession` decides).

import {
  ChatError,
  ChatHttp,
  type RefusedInfo,
  type WebSocketConstructor,
  type WebSocketLike,
} from '@roomchat/client'
import t from 'tap'
import WebSocket from 'ws'
import { backendName, deadUrl, next, sleep, socket, startServer, user, within } from './fixtures/setup.ts'

/** `ws`, minus what browsers do not tell: the error event says nothing about the upgrade. */
class BrowserLikeWebSocket implements WebSocketLike {
  private readonly ws: WebSocket
  onopen: WebSocketLike['onopen'] = null
  onmessage: WebSocketLike['onmessage'] = null
  onclose: WebSocketLike['onclose'] = null
  onerror: WebSocketLike['onerror'] = null
  constructor(url: string) {
    this.ws = new WebSocket(url)
    this.ws.onopen = () => this.onopen?.({ type: 'open' })
    this.ws.onmessage = (event) => this.onmessage?.({ data: event.data })
    this.ws.onclose = (event) => this.onclose?.({ code: event.code, reason: event.reason })
    this.ws.onerror = () => this.onerror?.({ type: 'error' })
  }
  get readyState(): number {
    return this.ws.readyState
  }
  send(data: string): void {
    this.ws.send(data)
  }
  close(code?: number, reason?: string): void {
    this.ws.close(code, reason)
  }
}

t.test(`refused sessions on ${backendName}`, async (t) => {
  const server = await startServer(t)

  /** Counts every state a client goes through and its refusals. */
  function watch(client: ReturnType<typeof socket>) {
    const seen = { states: [] as string[], refused: [] as RefusedInfo[], closes: 0 }
    client.on('state', (s) => seen.states.push(s))
    client.on('refused', (info) => seen.refused.push(info))
    client.on('close', () => seen.closes++)
    return seen
  }

  t.test('401 at the upgrade (a bad token): refused at once, no redial', async (t) => {
    const client = socket(t, { url: server.wsUrl, token: 'not-a-token' })
    const seen = watch(client)
    const err = await within(
      client.connect().catch((e: unknown) => e),
      'connect to settle',
    )
    t.ok(err instanceof ChatError)
    t.equal((err as ChatError).code, 'UNAUTHENTICATED')
    t.equal(client.state, 'refused')
    await sleep(400)
    t.same(seen.states, ['connecting', 'refused'], 'one attempt only')
    t.equal(seen.closes, 1)
    t.same(
      seen.refused.map((r) => r.reason),
      ['unauthenticated'],
    )
    const again = await client.connect().catch((e: unknown) => e)
    t.equal((again as ChatError).code, 'UNAUTHENTICATED', 'connect() again rejects at once')
    const send = await client.send('0123456789abcdef01234567', 'x').catch((e: unknown) => e)
    t.equal((send as ChatError).code, 'CLOSED')
  })

  t.test('403 at the upgrade (an Origin not allowed): refused as forbidden', async (t) => {
    const alice = await user(server)
    class FromElsewhere extends WebSocket {
      constructor(url: string, protocols?: string | string[], options?: WebSocket.ClientOptions) {
        super(url, protocols, { ...options, origin: 'https://evil.example' })
      }
    }
    const client = socket(t, {
      url: server.wsUrl,
      token: alice.token,
      WebSocket: FromElsewhere as unknown as WebSocketConstructor,
    })
    const seen = watch(client)
    const err = await within(
      client.connect().catch((e: unknown) => e),
      'connect to settle',
    )
    t.equal((err as ChatError).code, 'BAD_ORIGIN')
    t.same(
      seen.refused.map((r) => r.reason),
      ['forbidden'],
    )
    await sleep(300)
    t.same(seen.states, ['connecting', 'refused'])
  })

  t.test('a ticket refused with 401: refused, the ticket asked for once', async (t) => {
    const http = new ChatHttp({ baseUrl: server.base, token: 'expired-or-forged' })
    let asked = 0
    const client = socket(t, {
      url: server.wsUrl,
      getTicket: async () => {
        asked++
        return (await http.wsTicket()).ticket
      },
    })
    const seen = watch(client)
    const err = await within(
      client.connect().catch((e: unknown) => e),
      'connect to settle',
    )
    t.equal((err as ChatError).code, 'UNAUTHENTICATED')
    await sleep(400)
    t.equal(asked, 1, 'no loop of ticket requests')
    t.same(seen.states, ['connecting', 'refused'])
    t.same(
      seen.refused.map((r) => r.reason),
      ['unauthenticated'],
    )
  })

  t.test('browser-like: the status is hidden, checkSession finds the session gone', async (t) => {
    const alice = await user(server)
    const http = new ChatHttp({ baseUrl: server.base, token: alice.token })
    await http.logout()
    let checks = 0
    const client = socket(t, {
      url: server.wsUrl,
      WebSocket: BrowserLikeWebSocket as unknown as WebSocketConstructor,
      checkSession: async () => {
        checks++
        await http.me()
      },
    })
    const seen = watch(client)
    const refused = next(client, 'refused')
    const err = await within(
      client.connect().catch((e: unknown) => e),
      'connect to settle',
    )
    t.equal((err as ChatError).code, 'UNAUTHENTICATED')
    t.equal((await refused)[0].reason, 'unauthenticated')
    t.equal(checks, 1)
    await sleep(300)
    t.same(seen.states, ['connecting', 'reconnecting', 'refused'])
  })

  t.test('browser-like: a network failure with a valid session is retried', async (t) => {
    const alice = await user(server)
    let checks = 0
    const client = socket(t, {
      url: await deadUrl(),
      WebSocket: BrowserLikeWebSocket as unknown as WebSocketConstructor,
      maxRetries: 2,
      checkSession: async () => {
        checks++
        await alice.http.me()
      },
    })
    const seen = watch(client)
    const err = await within(
      client.connect().catch((e: unknown) => e),
      'connect to settle',
    )
    t.equal((err as ChatError).code, 'CLOSED', 'out of retries, not refused')
    t.equal(checks, 3, 'the session checked after each failed attempt')
    t.equal(seen.refused.length, 0)
  })

  t.test(
    'ChatHttp.socketOptions(): ticket auth with a token, refused after a logout elsewhere',
    async (t) => {
      const alice = await user(server)
      const http = new ChatHttp({ baseUrl: server.base, token: alice.token })
      const client = socket(t, { ...http.socketOptions(), token: undefined })
      await within(client.connect(), 'connect')
      const refused = next(client, 'refused')
      await alice.http.logout()
      t.equal((await refused)[0].reason, 'revoked')
      t.equal(client.state, 'refused')
    },
  )
})
