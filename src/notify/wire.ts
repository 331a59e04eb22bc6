// Wires the notification services for the composition root (src/core.ts): the push adapter
// (VAPID keys from the configuration, or generated once under DATA_DIR in the embedded mode),
// the mailer (SMTP_URL), the trigger on the send path, the queue worker, and the services the
// routes call. Kept here so that core.ts only hands over what it already has.

import type { PasswordHasher } from '../accounts/passwords.ts'
import { RecoveryService } from '../accounts/recovery.ts'
import type { SessionService } from '../accounts/sessions.ts'
import type { Announcer } from '../announcer.ts'
import type { AuditService } from '../audit/audit.ts'
import type { Config } from '../config.ts'
import type { Limiter } from '../limits/limits.ts'
import type { Logger } from '../logger.ts'
import type { Mailer } from '../mail/mailer.ts'
import { smtpMailer } from '../mail/mailer-smtp.ts'
import type { Metrics } from '../metrics.ts'
import type { Presence } from '../presence/presence.ts'
import type { Store } from '../store/store.ts'
import { type Blocks, noBlocks } from './blocks.ts'
import { notifyMetrics } from './metrics.ts'
import type { Push } from './push.ts'
import { loadOrCreateVapid, webPush } from './push-webpush.ts'
import { NotifyService } from './service.ts'
import { NotifyTrigger } from './trigger.ts'
import { NotifyWorker } from './worker.ts'

export interface NotifyDeps {
  config: Config
  store: Store
  presence: Presence
  limit: (name: string, points: number, seconds: number) => Limiter
  metrics: Metrics
  sessions: SessionService
  audit: AuditService
  passwords: PasswordHasher
  log: Logger
  /** Who blocked whom (the blocking feature plugs in here). */
  blocks?: Blocks
}

export interface Notifications {
  readonly notify: NotifyService
  readonly recovery: RecoveryService
  /** The Announcer the chat service uses: `inner`, with every stored message shown to the trigger. */
  announcing(inner: Announcer): Announcer
  start(): Promise<void>
  stop(): Promise<void>
}

/** The base of links in mails: PUBLIC_URL, else this instance on localhost. */
export const publicUrlOf = (config: Config) =>
  (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, '')

function pushFor(config: Config, log: Logger): Push | null {
  if (config.VAPID_PUBLIC_KEY && config.VAPID_PRIVATE_KEY)
    return webPush(
      { publicKey: config.VAPID_PUBLIC_KEY, privateKey: config.VAPID_PRIVATE_KEY },
      config.VAPID_SUBJECT,
    )
  if (!config.scaled) return webPush(loadOrCreateVapid(config.DATA_DIR), config.VAPID_SUBJECT)
  log.warn(
    'push is off: the scaled mode needs VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY, the same on every instance (npx web-push generate-vapid-keys)',
  )
  return null
}

export function createNotifications(deps: NotifyDeps): Notifications {
  const { config, store, log } = deps
  const metrics = notifyMetrics(deps.metrics.registry)
  const push = pushFor(config, log)
  const mailer: Mailer | null = config.SMTP_URL ? smtpMailer(config.SMTP_URL, config.MAIL_FROM) : null
  const publicUrl = publicUrlOf(config)
  const worker = new NotifyWorker(
    {
      store,
      presence: deps.presence,
      push,
      mailer,
      pushCap: deps.limit('push-user', config.PUSH_PER_MINUTE, 60),
      blocks: deps.blocks ?? noBlocks,
      metrics,
      log,
    },
    { pollMs: 1000, publicUrl, digestMinutes: config.EMAIL_DIGEST_MINUTES },
  )
  const trigger = new NotifyTrigger(store, config.NOTIFY_DELAY_SECONDS * 1000, log, metrics, (at) =>
    worker.wakeAt(at),
  )
  const recovery = new RecoveryService(
    store,
    deps.passwords,
    deps.sessions,
    mailer,
    deps.audit,
    deps.limit('forgot-ip', config.RATE_FORGOT_IP, 3600),
    {
      publicUrl,
      resetMinutes: config.RESET_TOKEN_MINUTES,
      verifyHours: config.EMAIL_VERIFY_HOURS,
    },
    log,
  )
  return {
    notify: new NotifyService(store, push, trigger, config.PUSH_ALLOW_HTTP),
    recovery,
    announcing(inner) {
      if (!config.NOTIFICATIONS) return inner
      // Every other method is the inner one's (through the prototype chain), whatever the port grows.
      const wrapped = Object.create(inner) as Announcer
      wrapped.messageStored = async (m) => {
        await inner.messageStored(m)
        trigger.consider(m)
      }
      return wrapped
    },
    async start() {
      if (!config.NOTIFICATIONS) return
      await trigger.start()
      worker.start()
    },
    async stop() {
      await trigger.stop()
      await worker.stop()
      await recovery.drain()
      mailer?.close()
    },
  }
}
