// A delivery's body made from a room notice's frame instead of the record read back from the
// store: the frame of a new message is `{"type":"message","message":<view>}` (server-frames.ts),
// and a delivery of it is `{"integration",…,"message":<view>}` around the same view, so the
// view's bytes are cut out of the frame and wrapped, never parsed or serialised again. The bytes
// are those deliveryBody would make from the record (the same view of the same record).
// Updates and pins are not made from their frames (a tombstone in the frame stands where the
// body leaves the message out): only their type is read, so that an integration that does not
// take them skips them without reading the store; one that does reads them from the store.
import type { IntegrationEvent } from '../schemas/integrations.ts'

const MESSAGE = '{"type":"message","message":'
const KIND = '"kind":"'

export type FromNotice =
  /** The event's type and its delivery body. */
  | { type: IntegrationEvent; body: string }
  /** Only the type is known: the body must come from the store. */
  | { type: IntegrationEvent; body: null }
  /** Not a frame this knows: read the store. */
  | null

export function fromNotice(integration: string, room: string, seq: number, frame: string): FromNotice {
  if (frame.startsWith(MESSAGE) && frame.endsWith('}')) {
    // The view begins with its id, room and seq (ids and a number: no quote in them), so the
    // first `"kind":"` is the message's own, not one inside its text.
    const at = frame.indexOf(KIND, MESSAGE.length)
    if (at < 0) return null
    const kind = frame.slice(at + KIND.length, frame.indexOf('"', at + KIND.length))
    const type: IntegrationEvent | null =
      kind === 'text' || kind === 'file' ? 'message' : kind === 'system' ? 'member' : null
    if (!type) return null
    const view = frame.slice(MESSAGE.length, -1)
    return {
      type,
      body: `{"integration":${JSON.stringify(integration)},"room":${JSON.stringify(room)},"seq":${seq},"type":"${type}","message":${view}}`,
    }
  }
  if (frame.startsWith('{"type":"pin"')) return { type: 'pin', body: null }
  if (frame.startsWith('{"type":"update"')) return { type: 'update', body: null }
  return null
}
