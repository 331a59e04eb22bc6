// The export of an account: a zip streamed as it is made. The store is read in keyset pages as
// the zip's reader pulls (a lazy stream per entry), and files are opened one at a time when
// their entry comes up, so memory holds a page and a chunk whatever the account's size.
import { Readable } from 'node:stream'
import { ZipFile } from 'yazl'
import { enforceLimit } from '../enforce-limit.ts'
import type { Files } from '../files/files.ts'
import type { Limiter } from '../limits/limits.ts'
import type { Logger } from '../logger.ts'
import type { MessageRecord, RoomRecord } from '../store/records.ts'
import type { Store } from '../store/store.ts'
import type { AccountService } from './accounts.ts'

const MESSAGE_PAGE = 1000
const POST_PAGE = 500
const FILE_PAGE = 100

export interface ExportArchive {
  filename: string
  stream: Readable
}

/** A name that is one plain path segment in every unzipper: no separators, controls or dot names. */
export function entryName(name: string): string {
  const clean = name.replace(/[/\\:*?"<>|\p{Cc}]/gu, '_').trim()
  return clean === '' || /^\.+$/.test(clean) ? '_' : clean
}

/** `name`, or `name (2).ext` and so on when an earlier entry took it. */
function unique(used: Set<string>, name: string): string {
  let candidate = name
  const dot = name.lastIndexOf('.')
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, '']
  for (let n = 2; used.has(candidate.toLowerCase()); n++) candidate = `${stem} (${n})${ext}`
  used.add(candidate.toLowerCase())
  return candidate
}

const line = (value: unknown) => Buffer.from(`${JSON.stringify(value)}\n`)

export class ExportService {
  constructor(
    private readonly store: Store,
    private readonly accounts: AccountService,
    private readonly files: Pick<Files, 'read'>,
    private readonly perDay: Limiter,
    private readonly log: Logger,
  ) {}

  async archive(userId: string, sessionId: string, now = new Date()): Promise<ExportArchive> {
    const user = await this.accounts.require(userId)
    await enforceLimit(this.perDay, userId)
    const profile = { ...(await this.accounts.me(userId)) }
    const sessions = (await this.store.leaving.sessions(userId)).map((s) => ({
      id: s.id,
      createdAt: s.createdAt.toISOString(),
      expiresAt: s.expiresAt.toISOString(),
      revokedAt: s.revokedAt?.toISOString() ?? null,
      current: s.id === sessionId,
    }))
    const roomIds = [
      ...new Set([
        ...(await this.store.rooms.roomsOf(userId)),
        ...(await this.store.leaving.roomsAuthored(userId)),
      ]),
    ].sort()
    const rooms = (await Promise.all(roomIds.map((id) => this.store.rooms.get(id)))).filter(
      (r): r is RoomRecord => r !== null,
    )
    const peers = new Map(
      (
        await this.store.users.getMany(rooms.flatMap((r) => (r.dm ? r.dm.filter((id) => id !== userId) : [])))
      ).map((u) => [u.id, u]),
    )
    const roomView = (r: RoomRecord) => {
      const peerId = r.dm?.find((id) => id !== userId) ?? null
      const peer = peerId ? peers.get(peerId) : undefined
      return {
        id: r.id,
        name: r.name,
        kind: r.kind ?? 'room',
        ...(peerId ? { with: { id: peerId, username: peer?.username ?? null } } : {}),
      }
    }

    const zip = new ZipFile()
    const mtime = now
    zip.addBuffer(Buffer.from(JSON.stringify(profile, null, 2)), 'profile.json', { mtime })
    zip.addBuffer(Buffer.from(JSON.stringify(sessions, null, 2)), 'sessions.json', { mtime })
    zip.addBuffer(Buffer.from(JSON.stringify(rooms.map(roomView), null, 2)), 'rooms.json', { mtime })
    const lazy = (gen: () => AsyncGenerator<Buffer>) => (cb: (err: unknown, s: Readable) => void) =>
      cb(null, Readable.from(gen(), { objectMode: false }))
    const dms = rooms.filter((r) => r.kind === 'dm')
    const shared = rooms.filter((r) => r.kind !== 'dm')
    zip.addReadStreamLazy(
      'messages.jsonl',
      { mtime },
      lazy(() => this.messages(userId, shared, roomView)),
    )
    zip.addReadStreamLazy(
      'dms.jsonl',
      { mtime },
      lazy(() => this.messages(userId, dms, roomView)),
    )
    zip.addReadStreamLazy(
      'posts.json',
      { mtime },
      lazy(() => this.posts(userId)),
    )
    const used = new Set<string>()
    const addFiles = async (after: string): Promise<void> => {
      const page = await this.store.leaving.files(userId, after, FILE_PAGE)
      page.forEach((f, i) => {
        const last = i === page.length - 1 && page.length === FILE_PAGE
        zip.addReadStreamLazy(
          `files/${unique(used, entryName(f.name))}`,
          // Stored as they are: most files are compressed already, and it keeps the pace up.
          { mtime: f.createdAt, compress: false },
          (cb) => {
            void (async () => {
              // The next page is added behind this entry, before its bytes are streamed.
              if (last) await addFiles(f.id)
              const stream = await this.files.read({ id: f.id, roomId: f.roomId })
              return stream ?? Readable.from([])
            })().then(
              (s) => cb(null, s),
              (err) => cb(err, Readable.from([])),
            )
          },
        )
      })
      if (page.length < FILE_PAGE) zip.end()
    }
    await addFiles('')
    const out = zip.outputStream as Readable
    zip.on('error', (err: Error) => {
      this.log.warn({ err, userId }, 'export failed half way')
      out.destroy(err)
    })
    const date = now.toISOString().slice(0, 10)
    return { filename: `roomchat-export-${user.username}-${date}.zip`, stream: out }
  }

  /** One JSON line per message of theirs (deleted ones too, as tombstones), room by room. */
  private async *messages(
    userId: string,
    rooms: RoomRecord[],
    roomView: (r: RoomRecord) => Record<string, unknown>,
  ): AsyncGenerator<Buffer> {
    for (const room of rooms) {
      const view = roomView(room)
      let after = 0
      for (;;) {
        const page = await this.store.leaving.authored(userId, room.id, after, MESSAGE_PAGE)
        if (page.length === 0) break
        yield Buffer.concat(page.map((m) => line(messageLine(m, view))))
        after = page[page.length - 1]!.seq
        if (page.length < MESSAGE_PAGE) break
      }
    }
  }

  /** The wall posts they wrote, as one JSON array written a page at a time. */
  private async *posts(userId: string): AsyncGenerator<Buffer> {
    let after = ''
    let first = true
    yield Buffer.from('[')
    for (;;) {
      const page = await this.store.leaving.posts(userId, after, POST_PAGE)
      if (page.length === 0) break
      const items = page.map((p) =>
        JSON.stringify({ id: p.id, wall: p.wall, text: p.text, createdAt: p.createdAt.toISOString() }),
      )
      yield Buffer.from(`${first ? '' : ','}\n${items.join(',\n')}`)
      first = false
      after = page[page.length - 1]!.id
      if (page.length < POST_PAGE) break
    }
    yield Buffer.from('\n]\n')
  }
}

function messageLine(m: MessageRecord, room: Record<string, unknown>) {
  return {
    room: room.id,
    roomName: room.name,
    ...(room.with ? { with: room.with } : {}),
    seq: m.seq,
    kind: m.kind,
    text: m.text,
    file: m.file
      ? { id: m.file.id, name: m.file.name, size: m.file.size, contentType: m.file.contentType }
      : null,
    replyTo: m.replyTo?.seq ?? null,
    createdAt: m.createdAt.toISOString(),
    editedAt: m.editedAt?.toISOString() ?? null,
    deleted: m.deleted ?? false,
  }
}
