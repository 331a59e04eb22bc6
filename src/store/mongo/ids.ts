// ObjectId lives here and nowhere else: the rest of the app sees 24-hex strings.
import { ObjectId } from 'mongodb'
import { isId } from '../../ids.ts'

export const oid = (id: string): ObjectId => new ObjectId(id)
/** For lookups by a client-given id: a malformed id matches nothing instead of throwing. */
export const oidOrNull = (id: string): ObjectId | null => (isId(id) ? new ObjectId(id) : null)
export const hex = (id: ObjectId): string => id.toHexString()
export const isDuplicateKey = (err: unknown) => (err as { code?: number }).code === 11000
