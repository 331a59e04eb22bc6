// The wait before the next attempt of a failed delivery: `min` doubling after each failure, at
// most `max`, with ±20 % jitter so that receivers coming back are not hit by every room at once.
export const retryDelayMs = (failures: number, minMs: number, maxMs: number): number =>
  Math.min(minMs * 2 ** Math.min(failures - 1, 30), maxMs) * (0.8 + Math.random() * 0.4)
