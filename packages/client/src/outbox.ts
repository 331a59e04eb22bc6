// Sends waiting for their ack. Each keeps its frame (and so its clientMsgId) to be written again
// after every reconnect until the server acks it; the server stores a repeated clientMsgId once.
import { ChatError, ClientCodes } from './errors.ts'
import type { AckFrame } from './wire.ts'

interface Outgoing {
  frame: string
  resolve: (ack: AckFrame) => void
  reject: (err: ChatError) => void
  timer: ReturnType<typeof setTimeout>
}

export class Outbox {
  private readonly pending = new Map<string, Outgoing>()

  get size(): number {
    return this.pending.size
  }

  /** The frames to write again on a new connection, in the order they were sent. */
  frames(): string[] {
    return [...this.pending.values()].map((out) => out.frame)
  }

  /**
   * Registers a send and resolves with its ack. A clientMsgId already waiting joins that send's
   * outcome instead (the caller must then not write the frame again).
   */
  add(clientMsgId: string, frame: string, timeoutMs: number): { answer: Promise<AckFrame>; fresh: boolean } {
    const existing = this.pending.get(clientMsgId)
    if (existing) {
      const answer = new Promise<AckFrame>((resolve, reject) => {
        const { resolve: r0, reject: j0 } = existing
        existing.resolve = (ack) => {
          r0(ack)
          resolve(ack)
        }
        existing.reject = (err) => {
          j0(err)
          reject(err)
        }
      })
      return { answer, fresh: false }
    }
    const answer = new Promise<AckFrame>((resolve, reject) => {
      const out: Outgoing = {
        frame,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.pending.delete(clientMsgId)
          out.reject(new ChatError(ClientCodes.TIMEOUT, `no ack for ${clientMsgId}`))
        }, timeoutMs),
      }
      this.pending.set(clientMsgId, out)
    })
    return { answer, fresh: true }
  }

  /** Settles the send an ack answers; a late or repeated ack is ignored. */
  ack(frame: AckFrame): void {
    const out = this.take(frame.clientMsgId)
    out?.resolve(frame)
  }

  /** Rejects the send an error frame refers to; false when none waits under that id. */
  fail(clientMsgId: string, error: ChatError): boolean {
    const out = this.take(clientMsgId)
    out?.reject(error)
    return out !== undefined
  }

  rejectAll(error: ChatError): void {
    for (const out of this.pending.values()) {
      clearTimeout(out.timer)
      out.reject(error)
    }
    this.pending.clear()
  }

  private take(clientMsgId: string): Outgoing | undefined {
    const out = this.pending.get(clientMsgId)
    if (!out) return undefined
    this.pending.delete(clientMsgId)
    clearTimeout(out.timer)
    return out
  }
}
