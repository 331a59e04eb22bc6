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
