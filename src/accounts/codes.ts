// Invitation and activation codes: random (crypto), shown once, stored only as a SHA-256 hash,
// redeemed atomically by the store.
import { createHash, randomBytes } from 'node:crypto'
import type { AuditService } from '../audit/audit.ts'
import { AppError, notFound } from '../errors.ts'
import { newId } from '../ids.ts'
import { clampLimit, decodeCursor, type Page, toPage } from '../pagination.ts'
import type { CodesQuery, CodeView, NewCode } from '../schemas/codes.ts'
import { type CodeRecord, type CodeType, codeStatus } from '../store/records.ts'
import type { Store } from '../store/store.ts'

// Crockford-style alphabet: no 0/O or 1/I/L to misread when a code is typed by hand.
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789'

/** 16 characters of a 31-letter alphabet: about 79 bits, shown as XXXX-XXXX-XXXX-XXXX. */
export function randomCode(): string {
  const bytes = randomBytes(32)
  let out = ''
  for (const b of bytes) {
    if (b >= 248) continue // 248 = 8 * 31: reject to keep every letter equally likely
    out += ALPHABET[b % 31]
    if (out.length === 16) break
  }
  if (out.length < 16) return randomCode()
  return out.match(/.{4}/g)!.join('-')
}

/** Codes are compared without dashes, spaces or case, as people type them. */
const normalise = (code: string) => code.replace(/[\s-]/g, '').toUpperCase()
export const hashCode = (code: string) => createHash('sha256').update(normalise(code)).digest('hex')

export const toCodeView = (c: CodeRecord, now = new Date()): CodeView => ({
  id: c.id,
  type: c.type,
  hint: c.hint,
  status: codeStatus(c, now),
  maxUses: c.maxUses,
  uses: c.uses,
  vipDays: c.vipDays,
  expiresAt: c.expiresAt?.toISOString() ?? null,
  revokedAt: c.revokedAt?.toISOString() ?? null,
  createdAt: c.createdAt.toISOString(),
})

export interface MintOptions {
  count: number
  maxUses?: number
  vipDays?: number
  expiresInDays?: number
  grantsAdmin?: boolean
  createdBy: string | null
  /** The member the codes are for, to hand out (their invitees count as theirs). */
  heldBy?: string | null
  /** False for a member's own codes: the log is of actions on someone else. */
  audit?: boolean
}

export class CodeService {
  constructor(
    private readonly store: Store,
    /** Codes an admin mints or revokes are logged (not the bootstrap code the server mints itself). */
    private readonly audit: AuditService,
  ) {}

  async mint(type: CodeType, o: MintOptions): Promise<NewCode[]> {
    if (o.heldBy && !(await this.store.users.get(o.heldBy))) throw notFound('User')
    const now = new Date()
    const minted = Array.from({ length: o.count }, () => {
      const code = randomCode()
      const record: CodeRecord = {
        id: newId(),
        type,
        hash: hashCode(code),
        hint: code.slice(0, 4),
        maxUses: o.maxUses ?? 1,
        uses: 0,
        vipDays: type === 'activation' ? (o.vipDays ?? null) : null,
        grantsAdmin: o.grantsAdmin ?? false,
        expiresAt: o.expiresInDays ? new Date(now.getTime() + o.expiresInDays * 86_400_000) : null,
        revokedAt: null,
        createdBy: o.createdBy,
        createdAt: now,
        heldBy: o.heldBy ?? null,
      }
      return { code, record }
    })
    await this.store.codes.insertMany(minted.map((m) => m.record))
    if (o.createdBy && o.audit !== false)
      await this.audit.record(o.createdBy, 'code.mint', null, {
        type,
        count: o.count,
        maxUses: o.maxUses ?? 1,
        vipDays: type === 'activation' ? (o.vipDays ?? null) : null,
        expiresInDays: o.expiresInDays ?? null,
        codes: minted.map((m) => m.record.id),
        ...(o.heldBy ? { for: o.heldBy } : {}),
      })
    return minted.map(({ code, record }) => ({ ...toCodeView(record, now), code }))
  }

  /** Takes one use of a code, or throws 400 INVALID_CODE (unknown, used up, expired or revoked). */
  async redeem(code: string, type: CodeType): Promise<CodeRecord> {
    const record = await this.store.codes.redeem(hashCode(code), type, new Date())
    if (!record) throw new AppError(400, 'INVALID_CODE', 'That code is unknown, used up, expired or revoked')
    return record
  }

  release(record: CodeRecord): Promise<void> {
    return this.store.codes.release(record.id)
  }

  async list(q: CodesQuery, heldBy?: string): Promise<Page<CodeView>> {
    const limit = clampLimit(q.limit)
    const now = new Date()
    const rows = await this.store.codes.list({
      type: q.type,
      status: q.status,
      heldBy,
      now,
      limit,
      after: decodeCursor(q.cursor, ['string']),
    })
    return toPage(
      rows,
      limit,
      (c) => [c.id],
      (c) => toCodeView(c, now),
    )
  }

  /** Revokes every live bootstrap (admin-granting) code; returns how many. */
  async revokeBootstrapCodes(): Promise<number> {
    const now = new Date()
    let revoked = 0
    let after: string[] | null = null
    for (;;) {
      const rows = await this.store.codes.list({ type: 'invite', status: 'unused', now, limit: 200, after })
      for (const c of rows.slice(0, 200))
        if (c.grantsAdmin && (await this.store.codes.revoke(c.id, now))) revoked++
      if (rows.length <= 200) return revoked
      after = [rows[199]!.id]
    }
  }

  /** Revokes a code (an admin, `actorId`, who is logged). */
  async revoke(id: string, actorId: string): Promise<void> {
    if (!(await this.store.codes.revoke(id, new Date()))) throw notFound('Code')
    const code = await this.store.codes.get(id)
    await this.audit.record(actorId, 'code.revoke', null, { code: id, type: code?.type, hint: code?.hint })
  }
}
