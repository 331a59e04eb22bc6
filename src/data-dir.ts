// DATA_DIR holds password hashes, TOTP secrets, the generated JWT secret and uploaded files: it
// is created 700 and what we write into it 600. An existing directory or file with a looser
// mode is not changed behind the operator's back, but named in a warning at start.
import { mkdirSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from './logger.ts'

export const DIR_MODE = 0o700
export const FILE_MODE = 0o600

/** Creates DATA_DIR (700) when missing; warns about it or its entries when others may read them. */
export function prepareDataDir(dir: string, log: Logger): void {
  mkdirSync(dir, { recursive: true, mode: DIR_MODE })
  const loose: string[] = []
  const check = (path: string) => {
    const mode = statSync(path).mode & 0o777
    if (mode & 0o077) loose.push(`${path} (${mode.toString(8)})`)
  }
  check(dir)
  for (const name of readdirSync(dir)) check(join(dir, name))
  if (loose.length > 0)
    log.warn(
      { loose },
      `DATA_DIR holds password hashes and secrets, but others may read: ${loose.join(', ')}; chmod 700 the directory and 600 its files`,
    )
}
