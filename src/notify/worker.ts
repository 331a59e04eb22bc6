// Works off the notification queue (the Store's jobs), on every instance: each job is claimed
// with a lease by one instance, so each is done once however many run, and a dead instance's
// jobs are taken over when their leases lapse. The kinds:
// - event: a message for which a notification may be due (trigger.ts), now due. Decides once,
//   here, who is to hear of it: the users it names (mentions, the author replied to), the other
//   side of a direct room, and those who set the room to "all"; minus the author, non-members,
//   anyone following the room on a live socket on any instance (presence), anyone who read past
//   it, anyone who set the room to "none", and anyone who blocked the author. Then one job per
//   subscription (push), per user (mail) or one entry per user for the digest.
// - push: one payload to one subscription. 2xx done; 404/410 the subscription is removed; 429,
//   5xx and no answer retried with backoff (Retry-After honoured); anything else given up.
//   Past PUSH_PER_MINUTE pushes of a user in a minute, the event becomes an entry of the
//   subscription's fold, sent at the end of the minute as one "n new messages".
// - mail: one mention mail. digest: the user's entries of the period in one mail. fold: above.
// A job that keeps failing is given up after MAX_ATTEMPTS; every outcome is counted (metrics.ts).
import { hostname } from 'node:os'
import { newId } from '../ids.ts'
import type { Limiter } from '../limits/limits.ts'
import type { Logger } from '../logger.ts'
import type { Mail, Mailer } from '../mail/mailer.ts'
import { digestMail, mentionMail, type NoticeLine } from '../mail/templates.ts'
import type { Presence } from '../presence/presence.ts'
import type { JobRecord, NewJob } from '../store/notify-records.ts'
import type { Store } from '../store/store.ts'
import type { Blocks } from './blocks.ts'
import type { NotifyMetrics } from './metrics.ts'
import { noticeLine, type PushPayload, pushPayload } from './payload.ts'
import type { Push } from './push.ts'

const LEASE_MS = 60_000
const BATCH = 50
const MAX_ATTEMPTS = 10
/** A push not accepted within this long after its event is not worth sending any more. */
const GIVE_UP_MS = 6 * 3600_000
const PUSH_TTL_SECONDS = 24 * 3600
const DIGEST_LINES = 50
const STATS_MS = 10_000
const PURGE_AFTER_MS = 24 * 3600_000

export interface WorkerOptions {
  /** How often the queue is asked for due jobs. */
  pollMs: number
  /** Where the web app is, for links in mails. */
  publicUrl: string
  digestMinutes: number
}

export interface WorkerDeps {
  store: Store
  presence: Presence
  push: Push | null
  mailer: Mailer | null
  /** Pushes per user per minute. */
  pushCap: Limiter
  blocks: Blocks
  metrics: NotifyMetrics
  log: Logger
}

/** Backoff after the nth failed attempt: 2 s, 4 s, 8 s … at most 10 min, with ±20 % jitter. */
export const backoffMs = (attempt: number) =>
  Math.min(2000 * 2 ** (attempt - 1), 600_000) * (0.8 + Math.random() * 0.4)

const minuteEnd = (t: number) => Math.floor(t / 60_000) * 60_000 + 60_000

export class NotifyWorker {
  readonly owner = `${hostname()}:${process.pid}:${newId()}`
  private timer: NodeJS.Timeout | null = null
  private running: Promise<void> | null = null
  private stopped = false
  private lastStats = 0
  private lastPurge = 0

  constructor(
    private readonly deps: WorkerDeps,
    private readonly options: WorkerOptions,
  ) {}

  start(): void {
    this.schedule(0)
  }

  /** Looks at the queue at `at` (a job due then was just enqueued here), unless a round comes sooner. */
  wakeAt(at: number): void {
    if (this.stopped) return
    if (this.wakes.length < 10_000) this.wakes.push(at)
    if (this.running) return
    const ms = Math.max(0, at - Date.now())
    if (this.timer && this.nextRound <= Date.now() + ms) return
    this.schedule(ms)
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    await this.running
  }

  private nextRound = 0

  private schedule(ms: number): void {
    if (this.stopped) return
    if (this.timer) clearTimeout(this.timer)
    this.nextRound = Date.now() + ms
    this.timer = setTimeout(() => {
      this.timer = null
      this.running = this.round().finally(() => {
        this.running = null
      })
    }, ms)
    this.timer.unref()
  }

  /** Claims and works off due jobs until none is left, then waits for the next poll. */
  private async round(): Promise<void> {
    const { store, log } = this.deps
    try {
      for (;;) {
        if (this.stopped) return
        const jobs = await store.jobs.claim(this.owner, new Date(), LEASE_MS, BATCH)
        // Work done may have queued more work due now (an event's pushes): go on until none is due.
        if (jobs.length === 0) break
        await Promise.all(jobs.map((j) => this.run(j)))
      }
      await this.housekeeping()
    } catch (err) {
      log.warn({ err }, 'notification queue round failed; trying again at the next poll')
    }
    // The next poll, or sooner when a job enqueued here falls due before it.
    const now = Date.now()
    this.wakes = this.wakes.filter((at) => at > now)
    this.schedule(Math.min(this.options.pollMs, ...this.wakes.map((at) => at - now)))
  }

  /** Due times of jobs enqueued on this instance, so the worker wakes when they fall due. */
  private wakes: number[] = []

  private async housekeeping(): Promise<void> {
    const now = Date.now()
    if (now - this.lastStats >= STATS_MS) {
      this.lastStats = now
      const s = await this.deps.store.jobs.stats(new Date(now))
      this.deps.metrics.queueDepth.set(s.depth)
      this.deps.metrics.queueAge.set(s.oldestDueAt ? Math.max(0, (now - s.oldestDueAt.getTime()) / 1000) : 0)
    }
    if (now - this.lastPurge >= 3600_000) {
      this.lastPurge = now
      await this.deps.store.jobs.purge(new Date(now - PURGE_AFTER_MS))
    }
  }

  private async run(job: JobRecord): Promise<void> {
    const { store, log, metrics } = this.deps
    try {
      const outcome = await this.work(job)
      if (outcome === 'done') await store.jobs.finish(job.id, this.owner, new Date())
      else await store.jobs.retry(job.id, this.owner, new Date(Date.now() + outcome.retryInMs))
    } catch (err) {
      const channel = job.kind
      if (job.attempts >= MAX_ATTEMPTS) {
        metrics.failed.inc({ channel, reason: 'error' })
        log.error({ err, job: job.id }, 'a notification job kept failing: given up')
        await store.jobs.finish(job.id, this.owner, new Date()).catch(() => {})
      } else {
        metrics.retried.inc({ channel })
        log.warn({ err, job: job.id, attempt: job.attempts }, 'a notification job failed; it is tried again')
        await store.jobs
          .retry(job.id, this.owner, new Date(Date.now() + backoffMs(job.attempts)))
          .catch(() => {})
      }
    }
  }

  private async work(job: JobRecord): Promise<'done' | { retryInMs: number }> {
    switch (job.kind) {
      case 'event':
        await this.fanOut(job)
        return 'done'
      case 'push':
        return this.deliverPush(job)
      case 'fold':
        return this.deliverFold(job)
      case 'mail':
        await this.sendMail(job.payload.mail as Mail, 'mail')
        return 'done'
      case 'digest':
        await this.deliverDigest(job)
        return 'done'
    }
  }

  /** An event now due: who is away, and what each of them gets. */
  private async fanOut(job: JobRecord): Promise<void> {
    const { store, presence, blocks, push, mailer } = this.deps
    const roomId = String(job.payload.room)
    const seq = Number(job.payload.seq)
    const [m, room] = await Promise.all([store.messages.get(roomId, seq), store.rooms.get(roomId)])
    if (!m || !room || m.deleted || !m.from) return
    const author = m.from.id
    // Why each user would hear of it: named (mention, reply, direct room) or the room is at "all".
    const why = new Map<string, 'named' | 'all'>()
    for (const id of m.mentions ?? []) why.set(id, 'named')
    if (m.replyTo?.from) why.set(m.replyTo.from.id, 'named')
    if (room.kind === 'dm') for (const id of room.dm ?? []) why.set(id, 'named')
    for (const id of await store.notifySettings.usersAt(roomId, 'all')) if (!why.has(id)) why.set(id, 'all')
    why.delete(author)
    if (why.size === 0) return
    const [online] = await presence.onlineMany([roomId])
    for (const id of online ?? []) why.delete(id)
    if (why.size === 0) return
    const settings = await store.notifySettings.many([...why.keys()])
    const recipients = (
      await Promise.all(
        settings.map(async (s) => {
          const level = s.rooms[roomId] ?? 'mentions'
          if (level === 'none' || (why.get(s.userId) === 'all' && level !== 'all')) return null
          const wantsMail = mailer !== null && s.email !== 'off'
          if (!(s.push && push) && !wantsMail) return null
          const [member, read, blocked] = await Promise.all([
            store.rooms.isMember(roomId, s.userId),
            store.messages.readSeq(roomId, s.userId),
            blocks.blocks(s.userId, author),
          ])
          return member && read < seq && !blocked ? s : null
        }),
      )
    ).filter((s) => s !== null)
    if (recipients.length === 0) return

    const users = new Map((await store.users.getMany(recipients.map((r) => r.userId))).map((u) => [u.id, u]))
    const payload = pushPayload(m)
    const line = noticeLine(m, room, this.options.publicUrl)
    const jobs: NewJob[] = []
    const now = Date.now()
    const event = `${roomId}:${seq}`
    await Promise.all(
      recipients.map(async (s) => {
        const user = users.get(s.userId)
        if (!user || user.banned) return
        if (s.push && push) {
          const subs = await store.pushSubscriptions.ofUser(s.userId)
          if (subs.length > 0) {
            const capped = !(await this.deps.pushCap.consume(s.userId)).allowed
            for (const sub of subs) {
              if (capped) {
                jobs.push({
                  id: `fe:${event}:${sub.id}`,
                  kind: 'fold',
                  group: `fold:${sub.id}`,
                  dueAt: new Date(now),
                  payload: { ...payload },
                })
                const end = minuteEnd(now)
                jobs.push({
                  id: `f:${sub.id}:${end}`,
                  kind: 'fold',
                  dueAt: new Date(end),
                  payload: { sub: sub.id },
                })
              } else {
                jobs.push({
                  id: `p:${event}:${sub.id}`,
                  kind: 'push',
                  dueAt: new Date(now),
                  payload: { sub: sub.id, body: payload, due: job.dueAt.getTime() },
                })
              }
            }
          }
        }
        if (mailer && user.email && user.emailVerified) {
          if (s.email === 'mentions')
            jobs.push({
              id: `m:${event}:${user.id}`,
              kind: 'mail',
              dueAt: new Date(now),
              payload: { mail: mentionMail(user.email, line) },
            })
          else if (s.email === 'digest') {
            const period = this.options.digestMinutes * 60_000
            const end = Math.floor(now / period) * period + period
            jobs.push({
              id: `de:${event}:${user.id}`,
              kind: 'digest',
              group: `digest:${user.id}`,
              dueAt: new Date(now),
              payload: { ...line },
            })
            jobs.push({
              id: `d:${user.id}:${end}`,
              kind: 'digest',
              dueAt: new Date(end),
              payload: { user: user.id },
            })
          }
        }
      }),
    )
    if (jobs.length > 0) await store.jobs.enqueue(jobs, new Date())
  }

  private async deliverPush(job: JobRecord): Promise<'done' | { retryInMs: number }> {
    const { metrics } = this.deps
    const due = Number(job.payload.due)
    if (Date.now() - due > GIVE_UP_MS) {
      metrics.failed.inc({ channel: 'push', reason: 'expired' })
      return 'done'
    }
    const body = job.payload.body as PushPayload
    const outcome = await this.pushTo(String(job.payload.sub), body, 'push', job.attempts)
    if (outcome === 'done' && Number.isFinite(due)) metrics.delay.set(Math.max(0, (Date.now() - due) / 1000))
    return outcome
  }

  private async deliverFold(job: JobRecord): Promise<'done' | { retryInMs: number }> {
    const { store } = this.deps
    const subId = String(job.payload.sub)
    const entries = await store.jobs.entries(`fold:${subId}`, 1000)
    if (entries.length === 0) return 'done'
    const last = entries[entries.length - 1]!.payload as unknown as PushPayload
    const n = entries.length
    const body: PushPayload = { ...last, text: n === 1 ? last.text : `${n} new messages`, count: n }
    const outcome = await this.pushTo(subId, body, 'push_folded', job.attempts)
    if (outcome === 'done')
      await store.jobs.finishEntries(
        entries.map((e) => e.id),
        new Date(),
      )
    return outcome
  }

  /** One push to one subscription, and what its answer means. */
  private async pushTo(
    subId: string,
    body: PushPayload,
    channel: 'push' | 'push_folded',
    attempt: number,
  ): Promise<'done' | { retryInMs: number }> {
    const { store, push, metrics, log } = this.deps
    const sub = await store.pushSubscriptions.get(subId)
    if (!sub || !push) return 'done'
    const res = await push.send(sub, JSON.stringify(body), {
      ttl: PUSH_TTL_SECONDS,
      urgency: 'high',
    })
    if (res.status >= 200 && res.status < 300) {
      metrics.sent.inc({ channel })
      return 'done'
    }
    if (res.status === 404 || res.status === 410) {
      await store.pushSubscriptions.remove(sub.id)
      metrics.removed.inc()
      return 'done'
    }
    const retryable = res.status === 0 || res.status === 429 || res.status >= 500
    if (retryable && attempt < MAX_ATTEMPTS) {
      metrics.retried.inc({ channel })
      const wait = Math.max(backoffMs(attempt), (res.retryAfter ?? 0) * 1000)
      return { retryInMs: Math.min(wait, 3600_000) }
    }
    metrics.failed.inc({ channel, reason: retryable ? 'attempts' : String(res.status) })
    log.warn({ status: res.status, subscription: sub.id }, 'a push was refused by the push service: given up')
    return 'done'
  }

  private async deliverDigest(job: JobRecord): Promise<void> {
    const { store } = this.deps
    if (job.group) return
    const userId = String(job.payload.user)
    const user = await store.users.get(userId)
    const entries = await store.jobs.entries(`digest:${userId}`, 1000)
    if (entries.length === 0) return
    const settings = await store.notifySettings.get(userId)
    if (user?.email && user.emailVerified && !user.banned && settings.email === 'digest') {
      const lines = entries.slice(0, DIGEST_LINES).map((e) => e.payload as unknown as NoticeLine)
      await this.sendMail(digestMail(user.email, lines, entries.length - lines.length), 'digest')
    }
    await store.jobs.finishEntries(
      entries.map((e) => e.id),
      new Date(),
    )
  }

  /** Throws when the mail server refuses or cannot be reached: the job is retried with backoff. */
  private async sendMail(mail: Mail, channel: 'mail' | 'digest'): Promise<void> {
    if (!this.deps.mailer) return
    await this.deps.mailer.send(mail)
    this.deps.metrics.sent.inc({ channel })
  }
}
