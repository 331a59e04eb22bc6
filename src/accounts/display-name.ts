// The rule for a display name, enforced in the core: what people see next to messages must not
// be able to reorder text around it, hide characters or pass for someone else.
import { AppError, invalid } from '../errors.ts'

/**
 * Control, format (bidi overrides and isolates, zero-width spaces and joiners, BOM), surrogate,
 * private-use and line/paragraph separator characters; a zero-width joiner inside an emoji
 * sequence (👩‍💻) is kept.
 */
const HIDDEN =
  /(?<!\p{Extended_Pictographic}\uFE0F?)\u200D|[\p{Cc}\p{Cs}\p{Co}\p{Zl}\p{Zp}]|(?!\u200D)\p{Cf}/gu

/** NFC, hidden characters removed, runs of white space made one space, trimmed. */
export function cleanDisplayName(raw: string): string {
  return raw.normalize('NFC').replace(HIDDEN, '').replace(/\s+/gu, ' ').trim()
}

/** Throws unless the cleaned name is 1..64 code points. */
export function checkDisplayName(name: string): void {
  if (name === '') throw invalid('The display name is empty once invisible characters are removed')
  if ([...name].length > 64) throw invalid('The display name is longer than 64 characters')
}

export const nameTaken = () =>
  new AppError(409, 'NAME_TAKEN', "That display name is another user's name, or can be mistaken for one")
