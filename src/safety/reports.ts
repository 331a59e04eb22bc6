// Reports of messages and their decisions. A report keeps the message as it was when reported
// (the evidence: a later edit or deletion leaves it alone). Admins decide every report, a room's
// creator those of their rooms. A decision claims the report first (one conditional update on
// `open`: of two deciders racing, one wins and the other gets 409 ALREADY_DECIDED), then carries
// out its action through the same service call a moderator's click makes (same permission
// rules, same audit entry), and only then writes its own `report.decide` entry. An action that
// is refused opens the report again, so no report reads as decided by an action never taken.
import { type AuditService, roomRef, userRef } from '../audit/audit.ts'
import { enforceLimit } from '../enforce-limit.ts'
import { AppError, forbidden, invalid, notFound } from '../errors.ts'
import { isId, newId } from '../ids.ts'
import type { Limiter } from '../limits/limits.ts'
import { clampLimit, decodeCursor, type Page, toPage } from '../pagination.ts'
import type { ChatService } from '../rooms/chat.ts'
import { KICK_BAR_MINUTES, type RoomService } from '../rooms/rooms.ts'
import type { DecideBody, Report, ReportBody, ReportsQuery } from '../schemas/safety.ts'
import type { ReportDecision, ReportRecord, UserSnapshot } from '../store/records.ts'
import type { Store } from '../store/store.ts'

/** How long a report's `mute` lasts when the decider does not say. */
export const REPORT_MUTE_MINUTES = 60

const alreadyDecided = () => new AppError(409, 'ALREADY_DECIDED', 'The report was decided already')
const ref = (u: UserSnapshot | null) =>
  u ? { id: u.id, username: u.username, displayName: u.displayName } : null

export const toReport = (r: ReportRecord): Report => ({
  id: r.id,
  status: r.status,
  reason: r.reason,
  note: r.note,
  reporter: r.reporter,
  room: r.room,
  message: {
    seq: r.message.seq,
    kind: r.message.kind,
    from: ref(r.message.from),
    text: r.message.text,
    file: r.message.file,
    createdAt: r.message.createdAt.toISOString(),
    editedAt: r.message.editedAt?.toISOString() ?? null,
  },
  createdAt: r.createdAt.toISOString(),
  decidedBy: r.decidedBy,
  decision: r.decision ? { ...r.decision, at: r.decision.at.toISOString() } : null,
})

export class ReportService {
  constructor(
    private readonly store: Store,
    private readonly rooms: RoomService,
    private readonly chat: ChatService,
    private readonly audit: AuditService,
    /** Reports per user per hour. */
    private readonly perUser: Limiter,
  ) {}

  /**
   * Reports a message the user can read (404 otherwise: a room they may not see or are not in,
   * no such message); not one's own, not a deleted one. 409 ALREADY_REPORTED while their last
   * report of it is open.
   */
  async report(userId: string, body: ReportBody): Promise<Report> {
    await enforceLimit(this.perUser, userId)
    const room = await this.rooms.requireMember(body.room, userId).catch((err: unknown) => {
      if (err instanceof AppError && err.code === 'NOT_MEMBER') throw notFound('Message')
      throw err
    })
    const [m, reporter] = await Promise.all([
      this.store.messages.get(body.room, body.seq),
      this.store.users.get(userId),
    ])
    if (!reporter) throw new AppError(401, 'UNAUTHENTICATED', 'Authentication required')
    if (!m) throw notFound('Message')
    if (m.deleted) throw new AppError(409, 'DELETED', 'The message was deleted')
    if (!m.from) throw invalid('Only messages of people can be reported')
    if (m.from.id === userId) throw invalid('You cannot report your own message')
    const record: ReportRecord = {
      id: newId(),
      status: 'open',
      reason: body.reason,
      note: body.note ?? '',
      reporter: userRef(reporter),
      room: roomRef(room),
      roomCreatorId: room.kind === 'dm' ? null : room.creator.id,
      message: {
        seq: m.seq,
        kind: m.kind === 'update' ? 'text' : m.kind,
        from: m.from,
        text: m.text,
        file: m.file,
        createdAt: m.createdAt,
        editedAt: m.editedAt ?? null,
      },
      createdAt: new Date(),
      decidedBy: null,
      decision: null,
    }
    if ((await this.store.reports.create(record)) === 'duplicate')
      throw new AppError(409, 'ALREADY_REPORTED', 'You reported this message already')
    return toReport(record)
  }

  /** Newest first: every report for an admin, those of the rooms they created for a room's creator, 403 for others. */
  async list(userId: string, q: ReportsQuery): Promise<Page<Report>> {
    const admin = await this.isAdmin(userId)
    if (!admin && !(await this.createsRooms(userId)))
      throw forbidden("Only admins and rooms' creators read reports")
    const limit = clampLimit(q.limit)
    const after = decodeCursor<[string]>(q.cursor, ['string'])
    if (after && !isId(after[0])) throw invalid('Malformed cursor')
    const rows = await this.store.reports.list({
      status: q.status,
      roomCreator: admin ? undefined : userId,
      limit,
      after,
    })
    return toPage(rows, limit, (r) => [r.id], toReport)
  }

  async decide(userId: string, id: string, body: DecideBody): Promise<Report> {
    if (body.status === 'dismissed' && body.action) throw invalid('A dismissed report carries out no action')
    const [report, decider] = await Promise.all([this.store.reports.get(id), this.store.users.get(userId)])
    if (!decider) throw new AppError(401, 'UNAUTHENTICATED', 'Authentication required')
    const admin = decider.role === 'admin'
    if (!report || (!admin && report.roomCreatorId !== userId)) {
      // A report of another's room is none of a creator's business: as unknown, unless they read no reports at all.
      if (!admin && !(await this.createsRooms(userId)))
        throw forbidden("Only admins and rooms' creators decide reports")
      throw notFound('Report')
    }
    if (report.status !== 'open') throw alreadyDecided()
    const action = body.action ?? null
    const author = report.message.from
    if (action && action !== 'delete' && !author) throw invalid('The message has no author to act on')
    const decision = { status: body.status, action, at: new Date() }
    const decided = await this.store.reports.decide(id, userRef(decider), decision)
    if (!decided) throw alreadyDecided()
    try {
      await this.carryOut(userId, report, action, body.minutes)
    } catch (err) {
      await this.store.reports.reopen(id, decision)
      throw err
    }
    await this.audit.record(userId, 'report.decide', author ? userRef(author) : null, {
      report: id,
      room: report.room,
      seq: report.message.seq,
      status: body.status,
      action,
    })
    return toReport(decided)
  }

  /** The action, exactly as a moderator's own call (same rules, same audit entry). */
  private async carryOut(
    userId: string,
    report: ReportRecord,
    action: ReportDecision['action'],
    minutes: number | undefined,
  ): Promise<void> {
    const roomId = report.room.id
    const authorId = report.message.from?.id ?? ''
    switch (action) {
      case null:
        return
      case 'delete':
        return this.chat.delete(userId, roomId, report.message.seq)
      case 'mute':
        return this.rooms.mute(userId, roomId, authorId, minutes ?? REPORT_MUTE_MINUTES)
      case 'kick':
        return this.rooms.kick(userId, roomId, authorId, minutes ?? KICK_BAR_MINUTES)
      case 'ban':
        return this.rooms.ban(userId, roomId, authorId)
    }
  }

  private async isAdmin(userId: string): Promise<boolean> {
    return (await this.store.users.get(userId))?.role === 'admin'
  }

  /** Whether the user created one of the rooms they are in (a room's creator reads its reports). */
  private async createsRooms(userId: string): Promise<boolean> {
    const ids = await this.store.rooms.roomsOf(userId)
    const rooms = await Promise.all(ids.map((id) => this.store.rooms.get(id)))
    return rooms.some((r) => r && r.kind !== 'dm' && r.creator.id === userId)
  }
}
