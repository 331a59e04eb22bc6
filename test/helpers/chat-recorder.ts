// A user's ChatSocket (the SDK, @roomchat/client) driven as a careful app drives it, with what it
// delivers recorded for the test to check. The SDK does the part under test: it reconnects when
// the socket drops, re-joins every room with `since` = the last seq it delivered, re-sends unacked
// sends with the same clientMsgId, and delivers each room's messages once, in seq order. This
// file only does what an app around it does:
// - it hands the SDK the instances' URLs in turn, so a lost connection dials the next instance
//   (the one it was on may be gone);
// - it sends again, with the same clientMsgId, a message the server refused for a passing reason
//   (an outage, a limit) or that timed out, as an app's "retry" does; and it joins again a room
//   whose join was refused for such a reason; each retry is counted in `retried`, which the
//   tests check is empty where no fault is injected (delivery.ts, retriesOf);
// - it records, per room, the messages and presence as the SDK delivered them, the close codes,
//   the acks, and every raw frame, noting as `problems` what a well-behaved client never sees.
import { ChatError, ChatSocket, type Message } from '@roomchat/client'
import WebSocket from 'ws'
import { sleep, until, within } from './wait.ts'

/** Error codes after which a send or a join is simply tried again: an outage, a limit, no answer in time. */
const RETRYABLE = new Set(['INTERNAL', 'RATE_LIMITED', 'UNAVAILABLE', 'TIMEOUT'])
const RETRY_MS = 300
/** Frames these tests expect; any other (an update, a read marker, a removal) is a problem. */
const EXPECTED = new Set(['joined', 'message', 'ack', 'error', 'presence', 'typing', 'room', 'pong'])

export interface Received {
  seq: number
  id: string
  text: string
  from: string | null
  clientMsgId?: string
}

export interface PresenceSeen {
  /** When it came (Date.now()). */
  at: number
  online: string[]
}

interface RoomRecord {
  messages: Received[]
  /** The online lists of the room as told, `joined` and `presence` alike. */
  presence: PresenceSeen[]
  /** `joined` came on the current connection. */
  live: boolean
}

export interface RecorderOptions {
  name: string
  userId: string
  token: string
  /** ws:// URLs of the instances, dialled in turn. */
  urls: string[]
  /** The index in `urls` dialled first. */
  first?: number
  /** false: the SDK does not reconnect once the connection is lost. */
  reconnect?: boolean
}

export class ChatRecorder {
  readonly socket: ChatSocket
  readonly name: string
  readonly userId: string
  /** Close codes of connections that had opened. */
  readonly closes: number[] = []
  /** What a well-behaved client should never see. */
  readonly problems: string[] = []
  /** Every frame received, parsed, in arrival order (the SDK's input, before it orders or drops). */
  readonly frames: { type: string; [k: string]: any }[] = []
  /** The seq each of this client's sends was acked with (clientMsgId → seq). */
  readonly acks = new Map<string, number>()
  /** Sends and joins tried again, by the code that refused them ("join CODE" for joins). */
  readonly retried = new Map<string, number>()
  /** Connections opened after the first one. */
  reconnects = 0
  /** The URL of the instance it is connected to, null while it is not. */
  current: string | null = null
  private readonly rooms = new Map<string, RoomRecord>()
  /** Acks seen on the wire, to catch one clientMsgId acked with two seqs. */
  private readonly wireAcks = new Map<string, number>()
  /** Rooms a join() of ours is waiting for (it retries by itself). */
  private sending = 0
  private next: number
  private dialled = ''
  private opened = 0
  private connected = false
  private stopped = false

  constructor(options: RecorderOptions) {
    this.name = options.name
    this.userId = options.userId
    this.next = options.first ?? 0
    const { urls } = options
    const onFrame = (text: string) => this.wire(text)
    /** The `ws` package, each socket's frames also read here. */
    class RecordingWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[], wsOptions?: WebSocket.ClientOptions) {
        super(url, protocols, wsOptions)
        this.on('message', (data) => onFrame(String(data)))
      }
    }
    this.socket = new ChatSocket({
      WebSocket: RecordingWebSocket,
      url: () => {
        this.dialled = urls[this.next++ % urls.length]!
        return this.dialled
      },
      token: options.token,
      reconnect: options.reconnect ?? true,
      backoff: { initialMs: 50, maxMs: 1_000 },
      connectTimeoutMs: 10_000,
      joinTimeoutMs: 15_000,
      sendTimeoutMs: 15_000,
    })
    this.socket.on('open', () => {
      if (this.opened++ > 0) this.reconnects++
      this.connected = true
      this.current = this.dialled
    })
    this.socket.on('close', ({ code }) => {
      if (this.connected) this.closes.push(code)
      this.connected = false
      this.current = null
      for (const r of this.rooms.values()) r.live = false
    })
    this.socket.on('joined', (f) => {
      const r = this.rooms.get(f.room)
      if (!r) return
      r.live = true
      r.presence.push({ at: Date.now(), online: f.online })
    })
    this.socket.on('presence', (f) =>
      this.rooms.get(f.room)?.presence.push({ at: Date.now(), online: f.online }),
    )
    this.socket.on('message', (m) => this.record(m))
    // Error frames that answer no pending send or join (the SDK itself tries a re-join refused
    // for a passing reason again).
    this.socket.on('error', (err) => {
      if (!RETRYABLE.has(err.code)) this.problems.push(`error ${err.code}: ${err.message}`)
    })
  }

  // ------------------------------------------------------------------ what it saw

  messages(room: string): Received[] {
    return this.rooms.get(room)?.messages ?? []
  }

  presence(room: string): PresenceSeen[] {
    return this.rooms.get(room)?.presence ?? []
  }

  /** The room's online list as last told. */
  online(room: string): string[] {
    return this.presence(room).at(-1)?.online ?? []
  }

  /** Joined on the current connection. */
  isLive(room: string): boolean {
    return this.rooms.get(room)?.live ?? false
  }

  /** Sends not acked yet, retries included. */
  get unacked(): number {
    return this.sending
  }

  // ------------------------------------------------------------------ what it does

  /** Connects and joins the rooms (from their first message); resolves once joined. */
  async start(rooms: string[], ms = 30_000): Promise<void> {
    await within(this.socket.connect(), `${this.name} connected`, ms)
    await within(Promise.all(rooms.map((room) => this.join(room))), `${this.name} joined`, ms)
  }

  /** Follows a room from after the last message recorded there (from seq 1 the first time). */
  async join(room: string): Promise<void> {
    if (!this.rooms.has(room)) this.rooms.set(room, { messages: [], presence: [], live: false })
    for (;;) {
      try {
        await this.socket.join(room, { since: this.messages(room).at(-1)?.seq ?? 0 })
        return
      } catch (err) {
        if (!(await this.retryable(err, 'join '))) throw err
      }
    }
  }

  /** Sends a message; resolves with its seq once acked, however many reconnects and retries that takes. */
  async send(room: string, clientMsgId: string, text: string): Promise<number> {
    this.sending++
    try {
      for (;;) {
        try {
          const ack = await this.socket.send(room, text, { clientMsgId })
          this.acks.set(clientMsgId, ack.seq)
          return ack.seq
        } catch (err) {
          if (!(await this.retryable(err, ''))) throw err
        }
      }
    } finally {
      this.sending--
    }
  }

  /** Resolves with the room's first message with this text, once the SDK has delivered it. */
  async waitForMessage(room: string, text: string, ms = 10_000): Promise<Received> {
    const find = () => this.messages(room).find((m) => m.text === text)
    await until(() => find() !== undefined, `${this.name} got "${text}"`, ms)
    return find()!
  }

  stop(): void {
    this.stopped = true
    this.socket.close()
  }

  // ------------------------------------------------------------------ inside

  /** Counts a refusal worth retrying and waits a little; false (noted as a problem) for any other. */
  private async retryable(err: unknown, kind: string): Promise<boolean> {
    const code = err instanceof ChatError ? err.code : ''
    if (this.stopped || !RETRYABLE.has(code)) {
      if (!this.stopped) this.problems.push(`${kind || 'send '}refused: ${String(err)}`)
      return false
    }
    this.retried.set(`${kind}${code}`, (this.retried.get(`${kind}${code}`) ?? 0) + 1)
    await sleep(RETRY_MS)
    return true
  }

  private record(m: Message): void {
    this.rooms.get(m.room)?.messages.push({
      seq: m.seq,
      id: m.id,
      text: m.text,
      from: m.from?.id ?? null,
      ...(m.clientMsgId ? { clientMsgId: m.clientMsgId } : {}),
    })
  }

  private wire(text: string): void {
    let f: { type: string; [k: string]: any }
    try {
      f = JSON.parse(text)
    } catch {
      this.problems.push(`a frame that is not JSON: ${text.slice(0, 200)}`)
      return
    }
    this.frames.push(f)
    if (!EXPECTED.has(f.type)) return void this.problems.push(`unexpected frame ${text.slice(0, 200)}`)
    const room = f.type === 'message' ? f.message?.room : f.room
    if (['message', 'joined', 'presence', 'typing'].includes(f.type) && !this.rooms.has(room))
      return void this.problems.push(`${f.type} of a room not followed: ${room}`)
    if (f.type === 'ack') {
      const before = this.wireAcks.get(f.clientMsgId)
      if (before !== undefined && before !== f.seq)
        this.problems.push(`${f.clientMsgId} acked as ${before} and as ${f.seq}`)
      this.wireAcks.set(f.clientMsgId, f.seq)
    }
  }
}
