// Bots and incoming webhooks: their wire schemas (POST /api/admin/bots, /api/rooms/:id/webhooks,
// POST /hooks/:hookId/:secret).
import { type Static, Type } from 'typebox'
import { Id, Time } from './common.ts'
import { DisplayName, PublicUser, Username } from './users.ts'

/** Incoming webhooks one room may have. */
export const MAX_WEBHOOKS_PER_ROOM = 10

export const CreateBotBody = Type.Object({ username: Username, displayName: DisplayName })
export type CreateBotBody = Static<typeof CreateBotBody>

const BotToken = Type.String({
  description:
    "the bot's token, `rcb_…`: send it as `Authorization: Bearer <token>`. Shown only in this answer; stored hashed",
})

export const BotCreated = Type.Object({ bot: PublicUser, token: BotToken })
export type BotCreated = Static<typeof BotCreated>
export const BotTokenAnswer = Type.Object({ token: BotToken })

export const WebhookName = Type.String({ minLength: 1, maxLength: 64 })
export const CreateWebhookBody = Type.Object({ name: WebhookName })
export type CreateWebhookBody = Static<typeof CreateWebhookBody>

export const Webhook = Type.Object(
  {
    id: Id,
    room: Id,
    name: Type.String(),
    createdBy: Type.Object({ id: Id, username: Type.String() }),
    createdAt: Time,
  },
  { title: 'Webhook' },
)
export type Webhook = Static<typeof Webhook>

export const WebhookCreated = Type.Object({
  id: Id,
  url: Type.String({
    description:
      '`<PUBLIC_URL or this origin>/hooks/<id>/<secret>`: it holds the secret, shown only in this answer',
  }),
  webhook: Webhook,
})
export type WebhookCreated = Static<typeof WebhookCreated>

export const WebhookParams = Type.Object({ id: Id, hookId: Id })

/** The path of a post: lengths bounded so that anything else is a plain 404 (no store read). */
export const HookParams = Type.Object({
  hookId: Type.String({ maxLength: 64 }),
  secret: Type.String({ maxLength: 128 }),
})

export const HookPostBody = Type.Object({
  text: Type.String({ minLength: 1, maxLength: 4000 }),
  displayName: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description: "shown as the sender instead of the webhook's name",
    }),
  ),
})
export type HookPostBody = Static<typeof HookPostBody>

export const HookPosted = Type.Object({ seq: Type.Integer({ minimum: 1 }) })
