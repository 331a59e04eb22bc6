// Starts the deliveries that were idle together. On a lightly loaded instance each delivery POST
// started on its own costs a wake-up of the process for its answer, and on a virtual machine a
// wake-up costs more CPU than the request itself; held until a shared turn (at most `ms`, one
// timer for every room of every integration), the deliveries woken meanwhile write their
// requests in one tick and their answers mostly arrive in one wake-up. Only the first event
// after idling waits: a room with events queued goes on at once, so a backlog is not slowed.
export class Pacer {
  private waiting: (() => void)[] = []
  private timer: NodeJS.Timeout | null = null

  constructor(private readonly ms: number) {}

  /** Resolves at the next turn (at once when pacing is off). */
  turn(): Promise<void> {
    if (this.ms <= 0) return Promise.resolve()
    return new Promise((resolve) => {
      this.waiting.push(resolve)
      if (this.timer) return
      this.timer = setTimeout(() => this.release(), this.ms)
      this.timer.unref()
    })
  }

  /** Lets every waiting delivery go (at the turn, and at shutdown). */
  release(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    const waiting = this.waiting
    this.waiting = []
    for (const go of waiting) go()
  }
}
