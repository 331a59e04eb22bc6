// What the store keeps of outgoing integrations (src/integrations/): the integration with its
// secret sealed, one cursor per (integration, room), and the lease of the instance delivering it.
import type { IntegrationEvent } from '../schemas/integrations.ts'
import type { AuditUserRef } from './records.ts'

export interface IntegrationRecord {
  id: string
  url: string
  /** Sealed with the secret box (src/accounts/secret-box.ts): it must be read back to sign. */
  secret: string
  rooms: string[] | 'all'
  events: IntegrationEvent[]
  createdAt: Date
  createdBy: AuditUserRef
}

/** Where delivery of one room stands for one integration. */
export interface IntegrationCursor {
  integration: string
  room: string
  /** Events up to this seq are delivered (or skipped: not subscribed, or given up on). */
  seq: number
  lastError: string | null
  lastAttemptAt: Date | null
}
