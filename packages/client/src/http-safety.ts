// ChatHttp's routes for keeping a community safe: blocks, reports of messages, and their
// decisions (admins, and a room's creator for the reports of their rooms).
import { enc } from './http-base.ts'
import { NotifyRoutes } from './http-notify.ts'
import type { DecideBody, PageOf, Report, ReportBody, ReportsQuery } from './wire.ts'

export class SafetyRoutes extends NotifyRoutes {
  /**
   * Blocks a user (idempotent): no direct room between the two can be opened or written to by
   * either (403 BLOCKED), and their mentions and replies notify me of nothing. `me().blocked` lists them.
   */
  async block(userId: string): Promise<void> {
    await this.request<null>('PUT', `/api/me/blocks/${enc(userId)}`)
  }

  /** Lifts a block (idempotent). */
  async unblock(userId: string): Promise<void> {
    await this.request<null>('DELETE', `/api/me/blocks/${enc(userId)}`)
  }

  /** Reports a message I can read; 409 ALREADY_REPORTED while my report of it is open. */
  async report(body: ReportBody): Promise<Report> {
    return (await this.request<{ report: Report }>('POST', '/api/reports', body)).report
  }

  /** Reports newest first: all of them for an admin, those of my rooms for a room's creator. */
  reports(query: ReportsQuery = {}): Promise<PageOf<Report>> {
    return this.request<PageOf<Report>>('GET', '/api/admin/reports', undefined, { query })
  }

  /** Resolves or dismisses an open report, carrying out `action` as by hand; 409 ALREADY_DECIDED when someone was first. */
  async decideReport(id: string, body: DecideBody): Promise<Report> {
    return (await this.request<{ report: Report }>('PATCH', `/api/admin/reports/${enc(id)}`, body)).report
  }
}
