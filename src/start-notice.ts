// What a person starting the server must not miss (the bootstrap invite code) is also drawn as a
// box on stderr when a person is watching a terminal; the log keeps its one structured line, for
// whoever reads the logs through a collector.

/** `lines` in a box of box-drawing characters, one string ending in a newline. */
export function boxed(lines: string[]): string {
  const width = Math.max(...lines.map((l) => [...l].length))
  const pad = (l: string) => l + ' '.repeat(width - [...l].length)
  const rule = '─'.repeat(width + 2)
  return [`┌${rule}┐`, ...lines.map((l) => `│ ${pad(l)} │`), `└${rule}┘`, ''].join('\n')
}

/** The box of the bootstrap invite code. */
export function bootstrapNotice(code: string, url: string): string {
  return boxed([
    'No admin yet. Register the first admin with this single-use invite code:',
    '',
    `    ${code}`,
    '',
    `Open ${url}, choose Register and enter it (valid 7 days).`,
  ])
}
