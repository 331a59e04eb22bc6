// Whether this process's event loop was just held up (a long synchronous task, a GC pause, a
// burst of work), and since when. Frames read in one batch after such a hold reached the
// instance over the whole time it lasted, not at the moment they are read: the frame budget of
// a socket (client-socket.ts) counts them as they arrived, so that a client pacing itself under
// the limit is not closed because the server was busy.
//
// A timer ticks every TICK_MS (unref'd: it keeps no process alive). A loop that has not ticked
// for HELD_MS was held since its last tick: frames read in the I/O phase that follows a hold
// come before the timer's next tick, or, when the hold was in a timer itself, in the same
// iteration as the tick that noticed it.
const TICK_MS = 50
/** Later than this, a tick was held up (timers are late by a few ms on a busy loop anyway). */
const HELD_MS = 4 * TICK_MS

let lastTick = 0
let noticed: number | null = null
let timer: NodeJS.Timeout | null = null

function tick(): void {
  const now = Date.now()
  if (now - lastTick > HELD_MS) {
    // Noticed by the tick: what the I/O phase after it reads still arrived during the hold.
    noticed = lastTick
    setImmediate(() => {
      noticed = null
    })
  }
  lastTick = now
}

/**
 * When the loop began to be held, if what is being read now may have waited for it; null when
 * the loop runs freely (then what is read arrived about now).
 */
export function loopHeldSince(now: number): number | null {
  if (!timer) {
    lastTick = now
    timer = setInterval(tick, TICK_MS)
    timer.unref()
    return null
  }
  if (noticed !== null) return noticed
  return now - lastTick > HELD_MS ? lastTick : null
}
