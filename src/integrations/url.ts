// The rules of an integration's URL, checked when it is created: `https:` or `http:`, no user
// name or password in it, and a host whose every address is public (unless private ones are
// allowed). The same check runs again at every connect (sender.ts): a name may change.
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { invalid } from '../errors.ts'
import { isPrivateAddress } from './addresses.ts'

/** A name that takes longer than this to resolve is refused (the request must not hang on DNS). */
const RESOLVE_MS = 5000

export async function checkUrl(raw: string, allowPrivate: boolean): Promise<string> {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw invalid('url must be an absolute http(s) URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('url must be https: or http:')
  if (url.username || url.password) throw invalid('url must not carry a user name or password')
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (!host) throw invalid('url must name a host')
  if (allowPrivate) return url.href
  const refused = () =>
    invalid('url must be on a public address (loopback, link-local and private addresses are refused)')
  if (isIP(host)) {
    if (isPrivateAddress(host)) throw refused()
    return url.href
  }
  let timer: NodeJS.Timeout | undefined
  const addresses = await Promise.race([
    lookup(host, { all: true, verbatim: true }).catch(() => null),
    new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), RESOLVE_MS)
      timer.unref()
    }),
  ]).finally(() => clearTimeout(timer))
  if (!addresses || addresses.length === 0) throw invalid(`url: ${host} does not resolve`)
  if (addresses.some((a) => isPrivateAddress(a.address))) throw refused()
  return url.href
}
