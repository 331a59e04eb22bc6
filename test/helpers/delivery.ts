// What every client of a room must have been delivered, checked over the recorders of a test.
import type { Test } from 'tap'
import type { ChatRecorder, Received } from './chat-recorder.ts'
import { sleep, until } from './wait.ts'

/**
 * Each seq 1..n exactly once, in order, the same message (id, text, sender) for a seq on every
 * client. Returns the problems found (none: []).
 */
export function deliveryProblems(clients: ChatRecorder[], room: string, n: number): string[] {
  const problems: string[] = []
  const canonical = new Map<number, Received>()
  for (const c of clients) {
    const seqs = c.messages(room).map((m) => m.seq)
    const bad = seqs.findIndex((s, i) => s !== i + 1)
    if (bad >= 0 || seqs.length !== n) {
      const at = bad >= 0 ? bad : Math.min(seqs.length, n)
      problems.push(
        `${c.name}: ${seqs.length} messages for seqs 1..${n}; first difference at #${at + 1}: ` +
          `got ${JSON.stringify(seqs.slice(Math.max(0, at - 3), at + 4))}`,
      )
    }
    for (const m of c.messages(room)) {
      const first = canonical.get(m.seq)
      if (!first) canonical.set(m.seq, m)
      else if (first.id !== m.id || first.text !== m.text || first.from !== m.from)
        problems.push(`${c.name}: seq ${m.seq} is ${JSON.stringify(m)}, elsewhere ${JSON.stringify(first)}`)
    }
  }
  return problems
}

/**
 * Waits (up to 45 s) until every client has been delivered the room's `n` messages, lets a stray
 * duplicate show, and returns what `deliveryProblems` finds ([] when all is well).
 */
export async function settledDelivery(
  t: Test,
  clients: ChatRecorder[],
  room: string,
  n: number,
  label: string,
): Promise<string[]> {
  await until(
    () => clients.every((c) => c.messages(room).length >= n),
    () =>
      `${label}: every client has ${n} messages (${clients.map((c) => `${c.name} ${c.messages(room).length}`).join(', ')})`,
    45_000,
  ).catch((err) => t.fail(String(err)))
  await sleep(300) // time for a duplicate, if any, to show
  return deliveryProblems(clients, room, n)
}

/**
 * The sends and joins the clients tried again, summed by the code that refused them ("join CODE"
 * for joins); {} when none was. Where no fault is injected it must be {}: a retry there is a
 * refusal or a timeout the recorder would otherwise hide.
 */
export function retriesOf(clients: ChatRecorder[]): Record<string, number> {
  const sum: Record<string, number> = {}
  for (const c of clients) for (const [code, n] of c.retried) sum[code] = (sum[code] ?? 0) + n
  return sum
}

/** Acks that do not name the message stored at their seq (`reference` holds the room's 1..n). */
export function wrongAcks(senders: ChatRecorder[], reference: Received[]): string[] {
  const wrong: string[] = []
  for (const c of senders)
    for (const [cid, seq] of c.acks) {
      const m = reference[seq - 1]
      if (m?.clientMsgId !== cid || m.from !== c.userId)
        wrong.push(`${cid} acked as ${seq}, stored there: ${JSON.stringify(m)}`)
    }
  return wrong
}
