// Invitation trees in words and numbers: grafting a deeper reading onto a node, who is in a
// tree, how long a freeze lasts, and when a member may mint again.
import type { InviteeNode, Invitees } from '@roomchat/client'

/** Every user of the tree, root first, depth first. */
export function* walk(node: InviteeNode): Generator<InviteeNode> {
  yield node
  for (const child of node.children) yield* walk(child)
}

/** Usernames by id, to name the `skipped` of a freeze (ids the tree does not hold stay ids). */
export function namesIn(tree: InviteeNode): Map<string, string> {
  return new Map([...walk(tree)].map((n) => [n.user.id, n.user.username]))
}

/** Whether some users below the root are not in the tree as read (cut at the depth or the bound). */
export function partial(tree: Invitees): boolean {
  return tree.truncated || [...walk(tree)].some((n) => (n.more ?? 0) > 0)
}

/** Puts a node's own deeper reading in its place: its children, and no `more` left on it. */
export function graft(node: InviteeNode, deeper: InviteeNode): void {
  node.children = deeper.children
  delete node.more
}

/** A mute's length is 1..525600 minutes (a year). */
export const UNITS = { minutes: 1, hours: 60, days: 1440 } as const
export type Unit = keyof typeof UNITS
export const MAX_MINUTES = 525_600
export const toMinutes = (n: number, unit: Unit): number => Math.round(n * UNITS[unit])

/** "in 3 hours (at 17:40)": when a limit of a day lifts, from its Retry-After seconds. */
export function retryWords(seconds: number, now = Date.now()): string {
  const at = new Date(now + seconds * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
  const minutes = Math.ceil(seconds / 60)
  const span =
    minutes < 90
      ? `${minutes} minute${minutes === 1 ? '' : 's'}`
      : `${Math.round(minutes / 60)} hour${Math.round(minutes / 60) === 1 ? '' : 's'}`
  return `in ${span} (at ${at})`
}
