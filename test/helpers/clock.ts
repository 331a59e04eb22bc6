// Runs `fn` with the clock at `at` (epoch ms): `Date.now()` and `new Date()` answer that time,
// so rules computed at read time (VIP expiry) can be checked without waiting a day.
export async function atTime<T>(at: number, fn: () => Promise<T>): Promise<T> {
  const RealDate = Date
  class FakeDate extends RealDate {
    constructor(...args: []) {
      super(...((args.length ? args : [at]) as []))
    }
    static override now() {
      return at
    }
  }
  globalThis.Date = FakeDate as DateConstructor
  try {
    return await fn()
  } finally {
    globalThis.Date = RealDate
  }
}

/**
 * Moves the clock forward without waiting: from now on `Date.now()` and `new Date()` answer the real
 * time plus what `advance` added (timers are untouched). `restore()` puts the real `Date` back.
 */
export function shiftedClock(): { advance(ms: number): void; restore(): void } {
  const RealDate = Date
  let offset = 0
  class ShiftedDate extends RealDate {
    constructor(...args: []) {
      super(...((args.length ? args : [RealDate.now() + offset]) as []))
    }
    static override now() {
      return RealDate.now() + offset
    }
  }
  globalThis.Date = ShiftedDate as DateConstructor
  return {
    advance: (ms) => {
      offset += ms
    },
    restore: () => {
      globalThis.Date = RealDate
    },
  }
}
