// The fence a freeze puts up before it answers: once it has, no send of the frozen users is
// stored, on any instance. The store write and the chat state's notice (chat-state.ts) refuse
// the sends that begin after the notice arrives; what they cannot refuse is a send already past
// its checks on another instance, whose append lands after the freeze answered. So the freeze
// asks every instance over the bus to refuse the users' sends at once (a mark checked in the
// same turn as the append is queued) and to wait for their appends in flight; each answers, and
// the freeze goes on when every instance the request reached has (or after `timeoutMs`, logged).
//
// A mark lasts MARK_MS (a mute's end, if sooner): by then every read of the users is the frozen
// record, so the mark no longer adds anything; an unban within it waits it out.
import type { Bus } from '../bus/bus.ts'
import { AppError } from '../errors.ts'
import { newId } from '../ids.ts'
import type { Logger } from '../logger.ts'

const REQUESTS = 'safety:fence'
const ANSWERS = 'safety:fenced'
export const MARK_MS = 60_000

interface Request {
  id: string
  users: string[]
  /** A mute's end (epoch ms); 0: a ban. */
  until: number
}

export const mutedEverywhere = () => new AppError(403, 'MUTED', 'Your account is muted in every room')
const banned = () => new AppError(401, 'UNAUTHENTICATED', 'Authentication required')

export class SendFence {
  /** user → until when their sends are refused here, and whether for a mute or a ban. */
  private readonly marks = new Map<string, { until: number; mute: boolean }>()
  private readonly inFlight = new Map<string, Set<Promise<unknown>>>()
  private readonly waiting = new Map<string, () => void>()
  private readonly offs: (() => Promise<void>)[] = []

  constructor(
    private readonly bus: Bus,
    /** Drops what this instance keeps for sends about these users (read again from the store). */
    private readonly forget: (users: string[]) => void,
    private readonly log: Logger,
    private readonly timeoutMs = 5_000,
  ) {}

  async start(): Promise<void> {
    this.offs.push(
      await this.bus.subscribe(ANSWERS, (raw) => this.waiting.get(raw)?.()),
      await this.bus.subscribe(REQUESTS, (raw) => {
        void this.onRequest(JSON.parse(raw) as Request)
      }),
    )
  }

  async stop(): Promise<void> {
    await Promise.all(this.offs.splice(0).map((off) => off().catch(() => {})))
  }

  /** The refusal a send of this user meets now, or null. Synchronous: checked as the append is queued. */
  refusal(userId: string): AppError | null {
    const mark = this.marks.get(userId)
    if (!mark) return null
    if (mark.until <= Date.now()) {
      this.marks.delete(userId)
      return null
    }
    return mark.mute ? mutedEverywhere() : banned()
  }

  /** Runs a send's append, known as in flight until it settles. */
  track<T>(userId: string, append: Promise<T>): Promise<T> {
    let set = this.inFlight.get(userId)
    if (!set) {
      set = new Set()
      this.inFlight.set(userId, set)
    }
    const own = set
    own.add(append)
    const done = () => {
      own.delete(append)
      if (own.size === 0 && this.inFlight.get(userId) === own) this.inFlight.delete(userId)
    }
    append.then(done, done)
    return append
  }

  /**
   * Refuses the users' sends on every instance and waits for their sends in flight to be stored;
   * `until` is a mute's end, null for a ban. Resolves with how many instances answered of how many.
   */
  async hold(users: string[], until: Date | null): Promise<{ answered: number; instances: number }> {
    const request: Request = { id: newId(), users, until: until?.getTime() ?? 0 }
    let answered = 0
    let instances = Number.POSITIVE_INFINITY
    let release!: () => void
    const all = new Promise<void>((r) => {
      release = r
    })
    this.waiting.set(request.id, () => {
      answered++
      if (answered >= instances) release()
    })
    try {
      instances = await this.bus.publishCounted(REQUESTS, JSON.stringify(request))
      if (answered >= instances) release()
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<'late'>((r) => {
        timer = setTimeout(() => r('late'), this.timeoutMs)
      })
      const outcome = await Promise.race([all, late])
      clearTimeout(timer)
      if (outcome === 'late')
        this.log.warn({ answered, instances }, 'not every instance confirmed a freeze in time')
      return { answered, instances }
    } finally {
      this.waiting.delete(request.id)
    }
  }

  private async onRequest(r: Request): Promise<void> {
    const now = Date.now()
    const until = r.until ? Math.min(r.until, now + MARK_MS) : now + MARK_MS
    for (const [user, mark] of this.marks) if (mark.until <= now) this.marks.delete(user)
    for (const user of r.users) this.marks.set(user, { until, mute: r.until !== 0 })
    this.forget(r.users)
    const pending = r.users.flatMap((u) => [...(this.inFlight.get(u) ?? [])])
    await Promise.allSettled(pending)
    await this.bus.publish(ANSWERS, r.id).catch((err: unknown) => {
      this.log.warn({ err }, 'could not confirm a freeze')
    })
  }
}
