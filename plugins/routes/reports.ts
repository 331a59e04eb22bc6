import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { errors, IdParams, Page } from '../../src/schemas/common.ts'
import { DecideBody, Report, ReportBody, ReportsQuery } from '../../src/schemas/safety.ts'

const ReportAnswer = Type.Object({ report: Report })

// Reports are read and decided by admins and by rooms' creators (for their rooms), so these
// routes are not behind the admin-only hook of routes/admin.ts: the service decides who may.
const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { reports } = app.core
  const tags = ['safety']
  app.addHook('preHandler', app.authenticate)

  app.post(
    '/reports',
    {
      schema: {
        operationId: 'reportMessage',
        tags,
        summary:
          'Report a message I can read; the report keeps the message as it is now. One open report per message and reporter; RATE_REPORTS per hour',
        body: ReportBody,
        response: {
          201: ReportAnswer,
          ...errors(
            'UNAUTHENTICATED',
            'VALIDATION',
            'NOT_FOUND',
            'DELETED',
            'ALREADY_REPORTED',
            'RATE_LIMITED',
          ),
        },
      },
    },
    async (request, reply) =>
      reply.code(201).send({ report: await reports.report(request.auth.userId, request.body) }),
  )

  app.get(
    '/admin/reports',
    {
      schema: {
        operationId: 'listReports',
        tags,
        summary:
          "Reports, newest first: every one for an admin, those of the rooms they created for a room's creator",
        querystring: ReportsQuery,
        response: { 200: Page(Report), ...errors('UNAUTHENTICATED', 'FORBIDDEN') },
      },
    },
    async (request) => reports.list(request.auth.userId, request.query),
  )

  app.patch(
    '/admin/reports/:id',
    {
      schema: {
        operationId: 'decideReport',
        tags,
        summary:
          'Resolve or dismiss an open report; a resolution may carry out an action on the message (delete) or its author in the room (mute, kick, ban), as if done by hand',
        params: IdParams,
        body: DecideBody,
        response: {
          200: ReportAnswer,
          ...errors('UNAUTHENTICATED', 'VALIDATION', 'FORBIDDEN', 'NOT_FOUND', 'ALREADY_DECIDED'),
        },
      },
    },
    async (request) => ({
      report: await reports.decide(request.auth.userId, request.params.id, request.body),
    }),
  )
}

export default routes
