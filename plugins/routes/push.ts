// Push subscriptions, notification settings and the mail address: the contract's "Reaching
// people who are away". Only translates: the services decide (src/notify, src/accounts/recovery).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { errors, IdParams } from '../../src/schemas/common.ts'
import {
  EmailBody,
  NotifySettings,
  NotifySettingsPatch,
  PushKey,
  PushSubscriptionBody,
  SubscriptionId,
} from '../../src/schemas/notify.ts'

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { notify, recovery } = app.core

  app.get(
    '/push/key',
    {
      schema: {
        operationId: 'getPushKey',
        tags: ['push'],
        summary:
          'The VAPID public key browsers subscribe with (`applicationServerKey`); 404 when push is off',
        security: [],
        response: { 200: PushKey, ...errors('NOT_FOUND') },
      },
    },
    async () => notify.publicKey(),
  )

  app.post(
    '/push/subscriptions',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'subscribePush',
        tags: ['push'],
        summary:
          "Store this browser's push subscription (the same endpoint again updates it); at most 20 per user, the oldest replaced",
        body: PushSubscriptionBody,
        response: { 201: SubscriptionId, ...errors('UNAUTHENTICATED', 'NOT_FOUND') },
      },
    },
    async (request, reply) => reply.code(201).send(await notify.subscribe(request.auth.userId, request.body)),
  )

  app.delete(
    '/push/subscriptions/:id',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'unsubscribePush',
        tags: ['push'],
        summary: 'Remove one of my push subscriptions',
        params: IdParams,
        response: { 204: Type.Null(), ...errors('UNAUTHENTICATED', 'NOT_FOUND') },
      },
    },
    async (request, reply) => {
      await notify.unsubscribe(request.auth.userId, request.params.id)
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/me/notifications',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'getNotificationSettings',
        tags: ['me'],
        summary: 'My notification settings: push on or off, mail, and the rooms not at the default',
        response: { 200: NotifySettings, ...errors('UNAUTHENTICATED') },
      },
    },
    async (request) => notify.settings(request.auth.userId),
  )

  app.patch(
    '/me/notifications',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'updateNotificationSettings',
        tags: ['me'],
        summary: 'Change my notification settings; `rooms` is merged in (`mentions` resets a room)',
        body: NotifySettingsPatch,
        response: { 200: NotifySettings, ...errors('UNAUTHENTICATED') },
      },
    },
    async (request) => notify.update(request.auth.userId, request.body),
  )

  app.put(
    '/me/email',
    {
      preHandler: app.authenticate,
      schema: {
        operationId: 'setEmail',
        tags: ['me'],
        summary:
          'Set my mail address (unverified until the link mailed to it is followed); 404 when mail is off',
        body: EmailBody,
        response: {
          202: Type.Null(),
          ...errors('UNAUTHENTICATED', 'NOT_FOUND', 'EMAIL_TAKEN'),
        },
      },
    },
    async (request, reply) => {
      await recovery.setEmail(request.auth.userId, request.body.email)
      return reply.code(202).send(null)
    },
  )
}

export default routes
