// clientMsgIds: made once per message by the client, so that a send repeated after a reconnect
// is recognised by the server and stored once.

/** A random id matching the server's clientMsgId pattern (`^[A-Za-z0-9_.:-]{1,64}$`). */
export function newClientMsgId(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID()
  // randomUUID needs a secure context in browsers; elsewhere, 128 random bits all the same.
  let id = ''
  for (let i = 0; i < 32; i++) id += Math.floor(Math.random() * 16).toString(16)
  return id
}
