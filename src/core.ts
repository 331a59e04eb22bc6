// The composition root: the adapters the configuration asks for (src/adapters/), and the
// services wired from them, each given what it needs in its constructor. Framework-free: the
// Fastify layer (plugins/core.ts) decorates the app with what this returns.
import { AccountService } from './accounts/accounts.ts'
import { CodeService } from './accounts/codes.ts'
import { DirectoryService } from './accounts/directory.ts'
import { ExportService } from './accounts/export.ts'
import { LeaveService } from './accounts/leave.ts'
import { LoginThrottle } from './accounts/login-throttle.ts'
import { passwordHasher } from './accounts/passwords.ts'
import type { RecoveryService } from './accounts/recovery.ts'
import { secretBox } from './accounts/secret-box.ts'
import { SessionService } from './accounts/sessions.ts'
import { TicketService } from './accounts/tickets.ts'
import type { Adapters } from './adapters/adapters.ts'
import { adaptersFor } from './adapters/select.ts'
import { AuditService } from './audit/audit.ts'
import { AvatarService } from './avatars/avatars.ts'
import { BotService } from './bots/bots.ts'
import { WebhookService } from './bots/webhooks.ts'
import type { Bus } from './bus/bus.ts'
import type { Config } from './config.ts'
import { prepareDataDir } from './data-dir.ts'
import type { Files } from './files/files.ts'
import type { IntegrationService } from './integrations/service.ts'
import { prepareIntegrations } from './integrations/wire.ts'
import type { Logger } from './logger.ts'
import { createMetrics, instrumentStore, type Metrics } from './metrics.ts'
import type { NotifyService } from './notify/service.ts'
import { createNotifications } from './notify/wire.ts'
import { Hub } from './realtime/hub.ts'
import { Publisher } from './realtime/publisher.ts'
import { ChatService } from './rooms/chat.ts'
import { ChatState } from './rooms/chat-state.ts'
import { RoomService } from './rooms/rooms.ts'
import { BlockService, notifyBlocks } from './safety/blocks.ts'
import { FreezeService } from './safety/freeze.ts'
import { LineageService } from './safety/lineage.ts'
import { ReportService } from './safety/reports.ts'
import { SendFence } from './safety/send-fence.ts'
import { SearchBackfill } from './search/backfill.ts'
import { SearchService } from './search/search.ts'
import { loadOrCreateSecret } from './secret.ts'
import type { Store } from './store/store.ts'
import { FileService } from './transfers/service.ts'
import { WallService } from './walls/walls.ts'

/** The configuration with the JWT secret resolved (given, or generated once under DATA_DIR). */
export type CoreConfig = Config & { JWT_SECRET: string }

/** What the Fastify layer uses: the configuration, the services, the hub, metrics, the lifecycle. */
export interface Core {
  readonly config: CoreConfig
  readonly accounts: AccountService
  readonly sessions: SessionService
  readonly codes: CodeService
  readonly tickets: TicketService
  readonly directory: DirectoryService
  readonly walls: WallService
  readonly rooms: RoomService
  readonly chat: ChatService
  readonly files: FileService
  readonly avatars: AvatarService
  readonly search: SearchService
  readonly audit: AuditService
  /** Who blocks whom; reports of messages and their decisions. */
  readonly blocks: BlockService
  readonly reports: ReportService
  /** Invitation trees and members' own codes; freezes of users and their subtrees. */
  readonly lineage: LineageService
  readonly freezes: FreezeService
  /** Push subscriptions and notification settings; mail addresses and password resets. */
  readonly notify: NotifyService
  readonly recovery: RecoveryService
  /** Bot accounts and their tokens; rooms' incoming webhooks. */
  readonly bots: BotService
  readonly webhooks: WebhookService
  /** Outgoing integrations: what admins manage; their deliverer runs in the background. */
  readonly integrations: IntegrationService
  /** Deleting one's account, and the export of what it holds. */
  readonly leave: LeaveService
  readonly exports: ExportService
  readonly hub: Hub
  readonly metrics: Metrics
  /** Which store and bus this instance runs on, for the start-up log. */
  readonly backend: { store: Store['kind']; bus: Bus['kind'] }
  /**
   * For tests, never for routes: the store as the services see it (every write that concerns the
   * chat state announced), the bus, and the chat state.
   */
  readonly internals: { store: Store; bus: Bus; chatState: ChatState; fileBytes: Files }
  /** Resolves when the store and the bus answer. */
  ready(): Promise<void>
  close(): Promise<void>
}

/**
 * The core for this configuration. `open` picks the adapters (the configuration's, by default),
 * so a caller can run the services on a set of its own.
 */
export async function createCore(
  input: Config,
  log: Logger,
  open: (config: CoreConfig, log: Logger) => Promise<Adapters> = adaptersFor,
): Promise<Core> {
  // DATA_DIR holds something only on the embedded store or with a generated JWT secret.
  if (!input.MONGODB_URL || !input.JWT_SECRET) prepareDataDir(input.DATA_DIR, log)
  const config = { ...input, JWT_SECRET: input.JWT_SECRET ?? loadOrCreateSecret(input.DATA_DIR) }
  const adapters = await open(config, log)
  try {
    return await wire(adapters, config, log)
  } catch (err) {
    await adapters.close().catch(() => {})
    throw err
  }
}

/** The services over one set of adapters. */
async function wire(adapters: Adapters, config: CoreConfig, log: Logger): Promise<Core> {
  const { bus, presence, ephemeral, fileBytes } = adapters
  const limit = (name: string, points: number, seconds: number) => adapters.limiter(name, { points, seconds })
  const metrics = createMetrics()
  const instrumented = instrumentStore(adapters.store, metrics)
  // What a send checks, kept on this instance; every service writes through `watch`, so each
  // write that makes it stale is announced to every instance.
  const chatState = new ChatState(instrumented, bus, {
    onLost: () => {
      metrics.noticesLost.inc({ channel: 'chat:state' })
      log.warn(
        'a chat state notice never arrived (lost on the bus, or its writer stopped): everything kept for sends was dropped, to be read again from the store',
      )
    },
  })
  await chatState.start()
  const store = chatState.watch(instrumented)
  const sessions = new SessionService(store, bus, config.SESSION_TTL_DAYS, {
    onLost: () => {
      metrics.noticesLost.inc({ channel: 'auth:revoked' })
      log.warn(
        'a session revocation notice never arrived (lost on the bus, or its writer stopped or failed): cached sessions dropped, open sockets checked against the store',
      )
    },
  })
  await sessions.start()

  const audit = new AuditService(store)
  const codes = new CodeService(store, audit)
  const passwords = passwordHasher(config.ARGON2_MEMORY_KIB, config.ARGON2_TIME_COST)
  const notifications = createNotifications({
    config,
    store,
    presence,
    limit,
    metrics,
    sessions,
    audit,
    passwords,
    log,
    // A blocked user's mentions and replies notify the blocker of nothing.
    blocks: notifyBlocks(chatState),
  })
  const loginWindow = config.LOGIN_WINDOW_MINUTES * 60
  const accounts = new AccountService({
    store,
    ownViews: chatState,
    passwords,
    sessions,
    codes,
    audit,
    ephemeral,
    limits: {
      login: new LoginThrottle(
        {
          byIp: limit('login-ip', config.RATE_LOGIN_IP, 60),
          byUserIp: limit('login-fail-user-ip', config.RATE_LOGIN_USER_IP, loginWindow),
          byUser: limit('login-fail-user', config.RATE_LOGIN_USER, loginWindow),
        },
        ephemeral,
        log,
      ),
      registerByIp: limit('register-ip', config.RATE_REGISTER_IP, 3600),
    },
    box: secretBox(config.DATA_KEY ?? config.JWT_SECRET, 'totp'),
    log,
  })

  // The room services announce through the publisher; the hub publishes typing and presence
  // through it too, and receives what every instance published.
  const publisher = new Publisher(bus, metrics)
  const hub = new Hub(bus, store.messages, presence, publisher, log, metrics)
  // Its per-user channel (read markers) is subscribed before any socket can connect.
  await hub.start().catch((err: unknown) => {
    hub.close()
    chatState.stop()
    sessions.stop()
    throw err
  })
  // A freeze's hold on sends, on every instance (src/safety/send-fence.ts).
  const fence = new SendFence(bus, (users) => chatState.forgetUsers(users), log)
  await fence.start()
  const rooms = new RoomService(store, publisher, presence, fileBytes, audit)
  const chat = new ChatService(
    store,
    rooms,
    chatState,
    notifications.announcing(publisher),
    limit('message-user', config.RATE_MESSAGE_USER, 10),
    log,
    fileBytes,
    audit,
    fence,
  )
  // One limit for every upload of a user's, room files and avatars alike.
  const uploads = limit('upload-user', config.RATE_UPLOAD_USER, 60)
  const files = new FileService(store, fileBytes, rooms, chat, uploads, config.UPLOAD_MAX_BYTES, log)
  const avatars = new AvatarService(store, fileBytes, uploads, config.AVATAR_MAX_BYTES, log)

  // Messages stored before search existed are indexed in the background, by one instance at a time.
  const backfill = new SearchBackfill(store, log, metrics)
  backfill.start()
  await notifications.start()
  // Events of rooms sent to integrations, each by the one instance holding its lease.
  const integrations = prepareIntegrations({ config, store, bus, audit, metrics, log })
  integrations.deliverer.start()
  const lineage = new LineageService(
    store,
    codes,
    config.MEMBER_INVITES_PER_DAY > 0 ? limit('member-invites', config.MEMBER_INVITES_PER_DAY, 86_400) : null,
  )

  return {
    config,
    accounts,
    sessions,
    codes,
    tickets: new TicketService(ephemeral, limit('ticket-user', config.RATE_TICKET_USER, 60)),
    directory: new DirectoryService(store),
    walls: new WallService(store, limit('post-user', config.RATE_POST_USER, 60)),
    rooms,
    chat,
    files,
    avatars,
    search: new SearchService(store),
    audit,
    blocks: new BlockService(store),
    reports: new ReportService(store, rooms, chat, audit, limit('report-user', config.RATE_REPORTS, 3600)),
    lineage,
    freezes: new FreezeService(store, lineage, sessions, fence, audit),
    notify: notifications.notify,
    recovery: notifications.recovery,
    bots: new BotService(store, sessions, audit),
    webhooks: new WebhookService(store, chat, audit, limit('webhook', config.RATE_WEBHOOK, 60)),
    integrations: integrations.service,
    leave: new LeaveService({ store, accounts, sessions, rooms, chat, avatars, files: fileBytes, log }),
    exports: new ExportService(
      store,
      accounts,
      fileBytes,
      limit('export-user', config.RATE_EXPORTS_PER_DAY, 86_400),
      log,
    ),
    hub,
    metrics,
    backend: { store: store.kind, bus: bus.kind },
    internals: { store, bus, chatState, fileBytes },
    ready: () => adapters.ping(),
    async close() {
      const warn = (err: unknown) => log.warn({ err }, 'error while closing')
      await integrations.deliverer.stop().catch(warn)
      await backfill.stop()
      await notifications.stop().catch(warn)
      try {
        hub.close()
        await fence.stop()
        chatState.stop()
        sessions.stop()
      } catch (err) {
        warn(err)
      }
      await adapters.close().catch(warn)
    },
  }
}
