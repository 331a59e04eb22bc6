// Password hashing with argon2id. The parameters come from the config (OWASP's: 19 MiB, t=2, p=1).
import argon2 from 'argon2'

export interface PasswordHasher {
  hash(password: string): Promise<string>
  /** False for a wrong password or a malformed hash. */
  verify(hash: string, password: string): Promise<boolean>
  /** Costs what `verify` costs, for unknown usernames, so both answers take about the same time. */
  verifyDummy(password: string): Promise<false>
}

export function passwordHasher(memoryCost: number, timeCost: number): PasswordHasher {
  const options = { type: argon2.argon2id, memoryCost, timeCost, parallelism: 1 } as const
  let dummy: Promise<string> | undefined
  const verify = async (hash: string, password: string) => {
    try {
      return await argon2.verify(hash, password)
    } catch {
      return false
    }
  }
  return {
    hash: (password) => argon2.hash(password, options),
    verify,
    async verifyDummy(password) {
      dummy ??= argon2.hash('a password nobody has', options)
      await verify(await dummy, password)
      return false
    },
  }
}
