// The log of an app built in a test: a stream to give buildApp's logger, and the lines written
// to it, as written and as parsed (the app logs JSON, one object a line).
import { Writable } from 'node:stream'

export interface LogCapture {
  stream: Writable
  /** Every line written so far, in order. */
  lines: string[]
  /** The lines from index `from` on, parsed. */
  entries(from?: number): Record<string, any>[]
}

export function captureLogs(): LogCapture {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(line)
      done()
    },
  })
  return { stream, lines, entries: (from = 0) => lines.slice(from).map((l) => JSON.parse(l)) }
}
