// The core, assembled: picks the adapters the configuration asks for and wires the services.
// Framework-free: the Fastify layer (plugins/) decorates the app with what this returns.
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { AccountService } from './accounts/accounts.ts'
import { CodeService } from './accounts/codes.ts'
import { DirectoryService } from './accounts/directory.ts'
import { LoginThrottle } from './accounts/login-throttle.ts'
import { passwordHasher } from './accounts/passwords.ts'
import { secretBox } from './accounts/secret-box.ts'
import { SessionService } from './accounts/sessions.ts'
import { TicketService } from './accounts/tickets.ts'
import type { Bus } from './bus/bus.ts'
import { createMemoryBus } from './bus/bus-memory.ts'
import { createRedisBus } from './bus/bus-redis.ts'
import type { Config } from './config.ts'
import { prepareDataDir } from './data-dir.ts'
import type { Ephemeral } from './ephemeral/ephemeral.ts'
import { createMemoryEphemeral } from './ephemeral/ephemeral-memory.ts'
import { createRedisEphemeral } from './ephemeral/ephemeral-redis.ts'
import { diskFiles } from './files/files-disk.ts'
import { gridfsFiles } from './files/files-gridfs.ts'
import { FileService } from './files/service.ts'
import { newId } from './ids.ts'
import { type LimiterFactory, limiterFactory } from './limits/limits.ts'
import type { Logger } from './logger.ts'
import { createMetrics, instrumentStore, type Metrics } from './metrics.ts'
import type { Presence } from './presence/presence.ts'
import { createMemoryPresence } from './presence/presence-memory.ts'
import { createRedisPresence } from './presence/presence-redis.ts'
import { Hub } from './realtime/hub.ts'
import { ChatService } from './rooms/chat.ts'
import { ChatState } from './rooms/chat-state.ts'
import { RoomService } from './rooms/rooms.ts'
import { loadOrCreateSecret } from './secret.ts'
import { connectMongo } from './store/mongo/index.ts'
import { openSqliteStore } from './store/sqlite/index.ts'
import type { Store } from './store/store.ts'
import { WallService } from './walls/walls.ts'

export interface Core {
  config: Config & { JWT_SECRET: string }
  store: Store
  bus: Bus
  ephemeral: Ephemeral
  limiter: LimiterFactory
  sessions: SessionService
  codes: CodeService
  accounts: AccountService
  tickets: TicketService
  directory: DirectoryService
  walls: WallService
  presence: Presence
  hub: Hub
  rooms: RoomService
  chat: ChatService
  chatState: ChatState
  files: FileService
  metrics: Metrics
  /** Resolves when the store and the bus answer. */
  ready(): Promise<void>
  close(): Promise<void>
}

export async function createCore(input: Config, log: Logger): Promise<Core> {
  // DATA_DIR holds something only on the embedded store or with a generated JWT secret.
  if (!input.MONGODB_URL || !input.JWT_SECRET) prepareDataDir(input.DATA_DIR, log)
  const config = { ...input, JWT_SECRET: input.JWT_SECRET ?? loadOrCreateSecret(input.DATA_DIR) }
  const onBusError = (err: unknown) => log.warn({ err }, 'bus error')
  const redis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 3, connectionName: 'roomchat' })
    : null
  const cleanup: (() => Promise<unknown>)[] = []
  try {
    if (redis) {
      redis.on('error', (err) => log.warn({ err }, 'redis error'))
      await redis.connect()
      cleanup.push(async () => redis.disconnect())
    }
    const mongo = config.MONGODB_URL ? await connectMongo(config.MONGODB_URL) : null
    const rawStore = mongo ? mongo.store : openSqliteStore(join(config.DATA_DIR))
    cleanup.unshift(() => rawStore.close())
    // File bytes beside the store: GridFS on its database, or files under DATA_DIR.
    const fileBytes = mongo ? await gridfsFiles(mongo.db) : diskFiles(join(config.DATA_DIR, 'files'))
    const metrics = createMetrics()
    const instrumented = instrumentStore(rawStore, metrics)
    const bus = redis
      ? await createRedisBus(redis, config.REDIS_PREFIX, onBusError)
      : createMemoryBus(onBusError)
    cleanup.unshift(() => bus.close())
    // What a send checks, kept on this instance; every service writes through `watch`, so each
    // write that makes it stale is announced to every instance.
    const chatState = new ChatState(instrumented, bus)
    await chatState.start()
    const store = chatState.watch(instrumented)
    const ephemeral = redis ? createRedisEphemeral(redis, config.REDIS_PREFIX) : createMemoryEphemeral()
    const presence = redis ? createRedisPresence(redis, config.REDIS_PREFIX, newId()) : createMemoryPresence()
    const limiter = limiterFactory(redis, config.REDIS_PREFIX)

    const sessions = new SessionService(store, bus, config.SESSION_TTL_DAYS)
    await sessions.start()
    const codes = new CodeService(store)
    const passwords = passwordHasher(config.ARGON2_MEMORY_KIB, config.ARGON2_TIME_COST)
    const loginWindow = config.LOGIN_WINDOW_MINUTES * 60
    const login = new LoginThrottle(
      {
        byIp: limiter('login-ip', { points: config.RATE_LOGIN_IP, seconds: 60 }),
        byUserIp: limiter('login-fail-user-ip', { points: config.RATE_LOGIN_USER_IP, seconds: loginWindow }),
        byUser: limiter('login-fail-user', { points: config.RATE_LOGIN_USER, seconds: loginWindow }),
      },
      ephemeral,
      log,
    )
    const accounts = new AccountService(
      store,
      passwords,
      sessions,
      codes,
      ephemeral,
      { login, registerByIp: limiter('register-ip', { points: config.RATE_REGISTER_IP, seconds: 3600 }) },
      secretBox(config.DATA_KEY ?? config.JWT_SECRET, 'totp'),
      log,
    )

    const hub = new Hub(bus, store.messages, presence, log, metrics)
    cleanup.unshift(async () => hub.close())
    await hub.start()
    const rooms = new RoomService(store, hub, presence, fileBytes)
    const chat = new ChatService(
      store,
      rooms,
      chatState,
      hub,
      limiter('message-user', { points: config.RATE_MESSAGE_USER, seconds: 10 }),
      log,
      fileBytes,
    )
    accounts.roomsOf = (userId) => store.rooms.roomsOf(userId)
    accounts.own = (userId) => chatState.own(userId)
    const files = new FileService(
      store,
      fileBytes,
      rooms,
      chat,
      limiter('upload-user', { points: config.RATE_UPLOAD_USER, seconds: 60 }),
      config.UPLOAD_MAX_BYTES,
      log,
    )

    return {
      config,
      store,
      bus,
      ephemeral,
      limiter,
      sessions,
      codes,
      accounts,
      tickets: new TicketService(ephemeral),
      directory: new DirectoryService(store),
      walls: new WallService(store, limiter('post-user', { points: config.RATE_POST_USER, seconds: 60 })),
      presence,
      hub,
      rooms,
      chat,
      chatState,
      files,
      metrics,
      async ready() {
        await Promise.all([store.ping(), bus.ping()])
      },
      async close() {
        for (const c of cleanup) await c().catch((err) => log.warn({ err }, 'error while closing'))
      },
    }
  } catch (err) {
    for (const c of cleanup) await c().catch(() => {})
    throw err
  }
}
