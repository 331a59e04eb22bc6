// One log line per window for an event that can come thousands of times a second (refused
// connections, failed accepts): the first is written at once, the others are counted and
// written as one line with their count when the window ends; a quiet window ends the series.

export function throttled<T>(windowMs: number, write: (count: number, last: T) => void): (detail: T) => void {
  let timer: NodeJS.Timeout | undefined
  let count = 0
  let last: T
  const flush = () => {
    if (count === 0) {
      timer = undefined
      return
    }
    write(count, last)
    count = 0
    timer = setTimeout(flush, windowMs).unref()
  }
  return (detail) => {
    if (timer === undefined) {
      write(1, detail)
      timer = setTimeout(flush, windowMs).unref()
      return
    }
    count++
    last = detail
  }
}
