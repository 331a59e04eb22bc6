// What one delivery carries: the event's type (what `events` filters on), its JSON body as the
// exact bytes sent, and their signature (HMAC-SHA256 with the integration's secret, in hex).
import { createHmac } from 'node:crypto'
import type { IntegrationDelivery, IntegrationEvent } from '../schemas/integrations.ts'
import type { MessageRecord } from '../store/records.ts'
import { changeOf, toMessageView } from '../views/rooms.ts'

export const SIGNATURE_HEADER = 'x-roomchat-signature'

/** message: a text or file; member: a system message; pin: a pin or unpin; update: any other change. */
export function eventType(m: MessageRecord): IntegrationEvent {
  if (m.kind === 'text' || m.kind === 'file') return 'message'
  if (m.kind === 'system') return 'member'
  const kind = (changeOf(m) as { kind?: string } | undefined)?.kind
  return kind === 'pin' || kind === 'unpin' ? 'pin' : 'update'
}

/** The body of the delivery of event `m` of the stream (read with `current` for an update). */
export function deliveryBody(integration: string, m: MessageRecord): string {
  const type = eventType(m)
  const body: IntegrationDelivery = { integration, room: m.roomId, seq: m.seq, type }
  if (m.kind !== 'update') body.message = toMessageView(m)
  else {
    // The changed message in its current state; gone with its room: left out.
    if (m.current) body.message = toMessageView(m.current)
    const change = changeOf(m)
    if (type === 'pin') body.pinned = (change as { kind: string } | undefined)?.kind === 'pin'
    else if (change) body.change = change
  }
  return JSON.stringify(body)
}

export const signature = (body: string | Buffer, secret: string): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
