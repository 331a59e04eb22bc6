// The scaled Store: MongoDB through the native driver. Every collection is typed, its indexes
// are declared beside its repository and created (and awaited) before the store is used:
// a failed index build stops start-up rather than letting a unique rule silently not hold.
import {
  type Db,
  type IndexDescription,
  MongoClient,
  type MongoClientOptions,
  MongoNetworkError,
} from 'mongodb'
import type { Store } from '../store.ts'
import { auditIndexes, mongoAudit } from './audit.ts'
import { blockIndexes, mongoBlocks } from './blocks.ts'
import { botTokenIndexes, mongoBots } from './bots.ts'
import { codeIndexes, codeUseIndexes, mongoCodes } from './codes.ts'
import { fileIndexes, mongoFiles } from './files.ts'
import { integrationIndexes, mongoIntegrations } from './integrations.ts'
import { leaveIndexes, mongoLeave } from './leave.ts'
import { reactionIndexes } from './message-changes.ts'
import { messageIndexes } from './message-docs.ts'
import { readIndexes } from './message-unread.ts'
import { mongoMessages } from './messages.ts'
import { addNameKeys } from './name-keys.ts'
import { mongoNotify, notifyIndexes } from './notify.ts'
import { mongoPins, pinIndexes } from './pins.ts'
import { mongoPosts, postIndexes } from './posts.ts'
import { mongoReports, reportIndexes } from './reports.ts'
import { memberIndexes, mongoRooms, roomBarIndexes, roomIndexes } from './rooms.ts'
import { mongoSearch } from './search.ts'
import { mongoSessions, sessionIndexes } from './sessions.ts'
import {
  addDisplayNameLower,
  addInvitedBy,
  avatarChangeIndexes,
  mongoUsers,
  userIndexes,
  vipGrantIndexes,
} from './users.ts'
import { mongoWebhooks, webhookIndexes } from './webhooks.ts'

const indexes: Record<string, IndexDescription[]> = {
  users: userIndexes,
  sessions: sessionIndexes,
  codes: codeIndexes,
  code_uses: codeUseIndexes,
  vip_grants: vipGrantIndexes,
  avatar_changes: avatarChangeIndexes,
  posts: postIndexes,
  rooms: roomIndexes,
  members: memberIndexes,
  messages: messageIndexes,
  reactions: reactionIndexes,
  reads: readIndexes,
  files: fileIndexes,
  pins: pinIndexes,
  audit: auditIndexes,
  room_bars: roomBarIndexes,
  blocks: blockIndexes,
  reports: reportIndexes,
  bot_tokens: botTokenIndexes,
  webhooks: webhookIndexes,
  ...notifyIndexes,
  ...integrationIndexes,
}

/**
 * Creates one index, idempotently. FerretDB 1.24 also drops the connection when instances
 * starting together create the same new collection's indexes at once: retry a few times.
 */
export async function createIndex(db: Db, collection: string, spec: IndexDescription): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.collection(collection).createIndexes([spec])
      return
    } catch (err) {
      if (!(err instanceof MongoNetworkError) || attempt >= 8) throw err
      await new Promise((r) => setTimeout(r, 100 * attempt + Math.random() * 200))
    }
  }
}

export async function openMongoStore(url: string): Promise<Store> {
  return (await connectMongo(url)).store
}

/** The store and its database, for what lives beside it on the same database (GridFS files). */
export async function connectMongo(
  url: string,
  options: MongoClientOptions = {},
): Promise<{ store: Store; db: Db }> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000, appName: 'roomchat', ...options })
  await client.connect()
  const db = client.db()
  const all = { ...indexes }
  for (const [name, specs] of Object.entries(leaveIndexes)) all[name] = [...(all[name] ?? []), ...specs]
  for (const [name, specs] of Object.entries(all)) {
    // One index per command: FerretDB 1.24 drops the connection when a multi-index
    // createIndexes names indexes that already exist (any restart, any second instance).
    for (const spec of specs) await createIndex(db, name, spec)
  }
  await addDisplayNameLower(db)
  await addInvitedBy(db)
  await addNameKeys(db)
  const store: Store = {
    kind: 'mongodb',
    users: mongoUsers(db),
    sessions: mongoSessions(db),
    codes: mongoCodes(db),
    posts: mongoPosts(db),
    rooms: mongoRooms(db),
    messages: mongoMessages(db),
    files: mongoFiles(db),
    search: mongoSearch(db),
    pins: mongoPins(db),
    audit: mongoAudit(db),
    blocks: mongoBlocks(db),
    reports: mongoReports(db),
    bots: mongoBots(db),
    webhooks: mongoWebhooks(db),
    integrations: mongoIntegrations(db),
    leaving: mongoLeave(db),
    ...mongoNotify(db),
    async ping() {
      await db.command({ ping: 1 })
    },
    async close() {
      await client.close()
    },
  }
  return { store, db }
}
